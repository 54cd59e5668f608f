/** ConnectionHub in memory: the sockets this process holds, by connection id. */
import { DELETE_CLOSE, type LocalConnection, type LocalConnectionHub } from '../ports.ts'

/** One process's connections; a post to an id held by another process is a GoneException. */
export function memoryConnectionHub(): LocalConnectionHub & { readonly size: number } {
  const connections = new Map<string, LocalConnection>()
  return {
    get size() {
      return connections.size
    },
    async add(id, connection) {
      connections.set(id, connection)
    },
    async remove(id) {
      connections.delete(id)
    },
    touch(id, at) {
      const c = connections.get(id)
      if (c) c.info.lastActiveAt = at
    },
    async post(id, data) {
      const c = connections.get(id)
      if (!c) return false
      c.send(data)
      return true
    },
    async info(id) {
      const c = connections.get(id)
      return c ? { ...c.info } : undefined
    },
    async disconnect(id) {
      const c = connections.get(id)
      if (!c) return false
      // Gone for @connections at once, even before the close handshake completes.
      connections.delete(id)
      c.close(DELETE_CLOSE.code, DELETE_CLOSE.reason)
      return true
    },
    async close() {},
  }
}
