/** Hash routes: `#/models/m1?x=1` → the page registered for `/models/:name`, with its params and query. */
export interface Route {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Called when the user navigates away: pages stop their polling here. */
  onLeave: (cleanup: () => void) => void;
}

export type Page = (root: HTMLElement, route: Route) => Promise<void> | void;

interface Entry {
  pattern: RegExp;
  names: string[];
  page: Page;
  title: string;
}

const entries: Entry[] = [];

export function register(path: string, title: string, page: Page): void {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`,
  );
  entries.push({ pattern, names, page, title });
}

export function resolve(hash: string): { entry: Entry; params: Record<string, string>; query: URLSearchParams } | undefined {
  const [path, search = ''] = (hash.replace(/^#/, '') || '/').split('?');
  for (const entry of entries) {
    const match = entry.pattern.exec(path);
    if (match)
      return {
        entry,
        params: Object.fromEntries(entry.names.map((name, i) => [name, decodeURIComponent(match[i + 1])])),
        query: new URLSearchParams(search),
      };
  }
  return undefined;
}

export function navigate(route: string): void {
  location.hash = route;
}
