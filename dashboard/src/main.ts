import { disposeCharts } from './charts';
import { h, message, replaceChildren } from './dom';
import { resolve } from './router';
import './pages/batch';
import './pages/candidate';
import './pages/compare';
import './pages/models';
import './pages/pipelines';
import './pages/resources';
import './pages/run';
import './pages/runs';
import './pages/tryIt';

const nav: [string, string][] = [
  ['/', 'Pipelines'],
  ['/models', 'Models'],
  ['/try', 'Try it'],
  ['/batch', 'Batch scoring'],
  ['/resources', 'Resources and cost'],
];

const main = document.getElementById('main') as HTMLElement;
let leaving: (() => void)[] = [];

function renderNav(path: string): void {
  const list = document.getElementById('nav-list') as HTMLElement;
  replaceChildren(
    list,
    nav.map(([route, label]) => {
      const current = route === '/' ? path === '/' || path.startsWith('/pipelines') : path.startsWith(route);
      return h('li', {}, h('a', { href: `#${route}`, 'aria-current': current ? 'page' : undefined }, label));
    }),
  );
}

async function show(): Promise<void> {
  leaving.forEach((cleanup) => cleanup());
  leaving = [];
  disposeCharts();
  const path = (location.hash.replace(/^#/, '') || '/').split('?')[0];
  renderNav(path);
  const found = resolve(location.hash);
  main.setAttribute('aria-busy', 'true');
  main.dataset.page = '';
  if (!found) {
    document.title = 'Not found · Canopy';
    replaceChildren(main, h('h1', {}, 'Not found'), message(`No page at ${path}.`, 'error'));
  } else {
    document.title = `${found.entry.title} · Canopy`;
    const root = h('div', { class: 'page' });
    replaceChildren(main, root);
    try {
      await found.entry.page(root, { params: found.params, query: found.query, onLeave: (cleanup) => leaving.push(cleanup) });
    } catch (err) {
      root.append(message(`Could not load this page: ${(err as Error).message}`, 'error'));
    }
    main.dataset.page = found.entry.title;
  }
  main.removeAttribute('aria-busy');
  main.dataset.renders = String(Number(main.dataset.renders ?? '0') + 1);
  main.focus({ preventScroll: true });
  // The first full render of the page, for the benchmark and the browser tests.
  performance.mark(`canopy:rendered:${path}`);
  document.dispatchEvent(new CustomEvent('canopy:rendered', { detail: { path } }));
}

// The skip link's target is an element, not a route: focus it without touching the hash.
document.querySelector('.skip-link')?.addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', () => void show());
void show();
