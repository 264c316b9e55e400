/** Both the current and the r0 prefix: matrix-js-sdk uses v3, older bots and bridges still call r0. */
export function clientPaths(path: string): string[] {
  return [`/v3${path}`, `/r0${path}`];
}
