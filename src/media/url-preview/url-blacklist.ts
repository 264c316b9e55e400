// Synapse's url_preview_url_blacklist: a list of entries, each mapping URL components (scheme, netloc,
// username, password, hostname, port, path, params, query, fragment) to a pattern. An entry matches when
// all its components match; a pattern starting with ^ is a regular expression, anything else a glob.

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function component(url: URL, name: string): string | null {
  switch (name) {
    case 'scheme':
      return url.protocol.replace(/:$/, '');
    case 'netloc':
      return url.host;
    case 'username':
      return url.username;
    case 'password':
      return url.password;
    case 'hostname':
      return url.hostname;
    case 'port':
      return url.port;
    case 'path':
      return url.pathname;
    case 'params':
      return '';
    case 'query':
      return url.search.replace(/^\?/, '');
    case 'fragment':
      return url.hash.replace(/^#/, '');
    default:
      return null;
  }
}

export type UrlBlacklist = (url: URL) => boolean;

export function createUrlBlacklist(entries: ReadonlyArray<Readonly<Record<string, string>>>): UrlBlacklist {
  const compiled = entries.map((entry) =>
    Object.entries(entry).map(([name, pattern]) => ({
      name,
      re: pattern.startsWith('^') ? new RegExp(pattern) : globToRegExp(pattern),
    })),
  );
  return (url) =>
    compiled.some(
      (entry) =>
        entry.length > 0 &&
        entry.every(({ name, re }) => {
          const value = component(url, name);
          return value !== null && re.test(value);
        }),
    );
}
