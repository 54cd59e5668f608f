/** Stage variables in integration URIs and Lambda ARNs: `${stageVariables.name}`. */

/** Replaces ${stageVariables.name} with the stage's value ('' when unset, as AWS does). */
export function substituteStageVariables(text: string, variables: Record<string, string>): string {
  return text.replace(/\$\{stageVariables\.([A-Za-z0-9_]+)\}/g, (_m, name: string) => variables[name] ?? '')
}

/** Whether a text refers to stage variables (then it is resolved per request). */
export function usesStageVariables(text: string): boolean {
  return text.includes('${stageVariables.')
}
