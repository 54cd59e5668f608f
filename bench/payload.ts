/**
 * The JSON body the bare Hono app and the bench Lambda handler both answer with, so the
 * two rows do the same work apart from what Portico adds.
 */
export const PAYLOAD = {
  message: 'hello from the benchmark',
  service: 'portico-bench',
  items: [1, 2, 3],
  ok: true,
}

/** The payload as the wire carries it. */
export const PAYLOAD_TEXT = JSON.stringify(PAYLOAD)
