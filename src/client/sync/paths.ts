/** A client path under both /v3 and the legacy /r0 prefix (older bots and SDKs still call r0). */
export function clientPaths(path: string): string[] {
  return [`/v3${path}`, `/r0${path}`];
}
