import './style.css';
import { type BackendName, type BackendStatus, offeredBackends, startBackend } from './backends.js';
import type { LawsReport } from './laws/view.js';
import { lawsView } from './laws/view.js';
import { loadModel, type ModelReport, modelView, type PageSampleOptions } from './model/view.js';
import { el } from './plot.js';
import type { RopeReport } from './rope/view.js';
import { ropeView } from './rope/view.js';

/** What the page exposes to its tests (and to anyone with the console open). */
export interface PlaygroundState {
  ready: boolean;
  backends: BackendStatus[];
  backend: string;
  laws?: LawsReport;
  rope?: RopeReport;
  model?: ModelReport;
  /** Samples with the app's sampler on the current backend; the clips as plain arrays. */
  sample?: (options: PageSampleOptions) => Promise<number[][]>;
  /** Switches the tfjs backend that the RoPE and model views run on. */
  setBackend?: (name: BackendName) => Promise<void>;
  error?: string;
}

declare global {
  interface Window {
    flowditPlayground: PlaygroundState;
  }
}

const VIEWS = [
  { id: 'laws', title: 'Timestep laws' },
  { id: 'rope', title: '3D RoPE' },
  { id: 'model', title: 'Toy video DiT, live' },
] as const;

const state: PlaygroundState = { ready: false, backends: [], backend: '' };
window.flowditPlayground = state;

const nav = el('nav', {}, ...VIEWS.map((view) => el('a', { href: `#${view.id}`, 'data-view': view.id }, view.title)));
const backendBox = el('span', { class: 'backends' });
const sections = Object.fromEntries(VIEWS.map((view) => [view.id, el('section', { id: view.id }, el('h2', {}, view.title))])) as Record<(typeof VIEWS)[number]['id'], HTMLElement>;
document.body.append(el('header', {}, el('h1', {}, 'flowdit playground'), nav, backendBox), ...Object.values(sections));

function show(): void {
  const id = location.hash.slice(1) || 'laws';
  for (const view of VIEWS) sections[view.id].hidden = view.id !== id;
  for (const link of nav.querySelectorAll('a')) link.classList.toggle('current', link.dataset.view === id);
}
window.addEventListener('hashchange', show);
show();

function listBackends(rerun: () => Promise<void>): void {
  const select = el('select', { name: 'backend' }, ...state.backends.filter((b) => b.available).map((b) => el('option', { value: b.name }, b.name)));
  select.value = state.backend;
  select.addEventListener('change', async () => {
    await state.setBackend!(select.value as BackendName);
    await rerun();
  });
  backendBox.replaceChildren(
    el('label', {}, 'tfjs backend ', select),
    el('ul', { class: 'backend-list' }, ...state.backends.map((b) => el('li', { 'data-backend': b.name, class: b.available ? 'available' : 'unavailable', title: b.why ?? b.detail ?? '' }, `${b.name}${b.available ? ` ✓ ${b.detail ?? ''}` : ` ✗ ${b.why ?? ''}`}`))),
  );
}

async function start(): Promise<void> {
  lawsView(sections.laws, (report) => {
    state.laws = report;
  });
  state.backends = await offeredBackends();
  // ?backend=NAME starts that one (the tests load the page once per backend)
  const wanted = new URLSearchParams(location.search).get('backend') ?? undefined;
  state.backend = await startBackend(state.backends, wanted as BackendName | undefined);
  const ropeBox = el('div');
  sections.rope.append(ropeBox);
  const drawRope = async () => {
    ropeBox.replaceChildren();
    await ropeView(ropeBox, (report) => {
      state.rope = report;
    });
  };
  state.setBackend = async (name) => {
    state.backend = await startBackend(state.backends, name);
    listBackends(drawRope);
  };
  listBackends(drawRope);
  await drawRope();
  const loaded = await loadModel('./model/model.json');
  const sample = modelView(sections.model, loaded, (report) => {
    state.model = report;
  });
  state.sample = async (options) => (await sample(options)).map((clip) => Array.from(clip));
  state.ready = true;
}

start().catch((error: unknown) => {
  state.error = String((error as Error)?.stack ?? error);
  document.body.append(el('pre', { class: 'error' }, state.error));
  console.error(error);
});
