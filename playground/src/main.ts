// The playground page: the editor on the left, the views of the compiled model on the right, the
// state in the URL. The source is compiled once per pause in typing (250 ms); the diagnostics and
// the views both follow that compile.
import { compile, type CompileOptions, type Compiled, type Diagnostic } from "nnc";
import { attempt, notice, type Ctx, type View } from "./app.ts";
import { CircuitView } from "./circuit-view.ts";
import { CodeView } from "./code-view.ts";
import { h } from "./dom.ts";
import { NnEditor } from "./editor.ts";
import { GraphView } from "./graph-view.ts";
import { MnistView } from "./mnist-view.ts";
import { fileWithSource, modelFile, modelFiles, modelNames } from "./models.ts";
import { decodeState, encodeState } from "./share.ts";
import { TextView } from "./text-view.ts";
import { TrainView } from "./train-view.ts";
import "./style.css";

const tabs = ["graph", "code", "circuit", "train", "mnist", "text"] as const;
type Tab = (typeof tabs)[number];
const tabNames: Record<Tab, string> = {
  graph: "Graph",
  code: "Gradient code",
  circuit: "Circuit",
  train: "Train",
  mnist: "MNIST",
  text: "Text",
};
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const fileSelect = byId<HTMLSelectElement>("file");
const modelSelect = byId<HTMLSelectElement>("model");
const status = byId<HTMLSpanElement>("status");
const diagnosticsList = byId<HTMLUListElement>("diagnostics");
const linkNotice = byId<HTMLParagraphElement>("link-notice");

const views: Record<Tab, View> = {
  graph: new GraphView(byId("panel-graph")),
  code: new CodeView(byId("panel-code")),
  circuit: new CircuitView(byId("panel-circuit")),
  train: new TrainView(byId("panel-train")),
  mnist: new MnistView(byId("panel-mnist")),
  text: new TextView(byId("panel-text")),
};

const state = {
  file: "models/neuron.nn",
  model: undefined as string | undefined,
  tab: "circuit" as Tab,
  /** what the views show: the source as last compiled (a pause in typing, Ctrl+Enter, a pick) */
  compiledSource: "",
  /** the model that compile was for */
  compiledModel: undefined as string | undefined,
  compiled: null as Compiled | null,
  diagnostics: [] as Diagnostic[],
  cache: new Map<string, Compiled>(),
};

function options(): CompileOptions {
  return { file: state.file, ...(state.model ? { model: state.model } : {}) };
}

const ctx: Ctx = {
  get source() {
    return state.compiledSource;
  },
  get file() {
    return state.file;
  },
  get model() {
    return state.model;
  },
  get compiled() {
    return state.compiled;
  },
  compileWith(extra) {
    const key = JSON.stringify(extra);
    let c = state.cache.get(key);
    if (!c) state.cache.set(key, (c = compile(state.compiledSource, { ...options(), ...extra })));
    return c;
  },
  open: (path, model) => openFile(path, model),
  edit(source) {
    editor.setSource(source);
    compileNow();
  },
  pointAt: (lines) => editor.highlight(lines),
};

const editor = new NnEditor(byId("editor"), {
  source: "",
  check: (source) => compileTyped(source),
  onDiagnostics: showDiagnostics,
  onChange: () => {
    syncModels();
    saveUrlSoon();
  },
  onCompile: () => compileNow(),
  onHoverLine: (line) => views[state.tab].hoverLine?.(line),
});

function showDiagnostics(list: Diagnostic[]): void {
  diagnosticsList.replaceChildren(
    ...list.map((d) =>
      h(
        "li",
        { "data-line": d.line, "data-code": d.code },
        `${d.file}:${d.line}:${d.col}: error ${d.code}: ${d.message}`,
      ),
    ),
  );
}

/** Compiles the editor's text and redraws the view shown. */
function compileNow(): void {
  show(editor.source);
}

/** After a pause in typing: the source's diagnostics, and the views redrawn where it changed. */
function compileTyped(source: string): Diagnostic[] {
  if (source === state.compiledSource && state.model === state.compiledModel)
    return state.diagnostics;
  return show(source);
}

/** Compiles `source`, shows its status and diagnostics, and redraws the view shown. */
function show(source: string): Diagnostic[] {
  state.compiledSource = source;
  state.compiledModel = state.model;
  state.cache.clear();
  const start = performance.now();
  const result = attempt(source, options());
  state.compiled = result.compiled;
  state.diagnostics = result.diagnostics;
  if (result.compiled) {
    const ms = performance.now() - start;
    const isolated = globalThis.crossOriginIsolated ? ", cross-origin isolated" : "";
    status.textContent = `compiled ${result.compiled.model.name} in ${ms.toFixed(0)} ms${isolated}`;
    status.className = "ok";
  } else {
    const n = result.diagnostics.length;
    status.textContent = `${n} error${n === 1 ? "" : "s"}`;
    status.className = "bad";
  }
  showDiagnostics(result.diagnostics);
  renderTab(state.tab);
  saveUrlSoon();
  return result.diagnostics;
}

/** Draws a tab's view; a view that fails says so in its panel, and shows nothing of before. */
function renderTab(tab: Tab): void {
  try {
    views[tab].render(ctx);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    byId(`panel-${tab}`).replaceChildren(
      notice(`The ${tabNames[tab]} tab cannot draw this model: ${why}.`),
    );
  }
}

/** The model select lists the models of the editor's text. */
function syncModels(): void {
  const names = modelNames(editor.source);
  const current = [...modelSelect.options].map((o) => o.value).join(",");
  if (current !== names.join(",")) {
    modelSelect.replaceChildren(...names.map((n) => h("option", { value: n }, n)));
  }
  if (state.model && !names.includes(state.model)) state.model = undefined;
  modelSelect.value = state.model ?? names[0] ?? "";
  modelSelect.disabled = names.length < 2;
  const edited = modelFile(state.file)?.source !== editor.source;
  fileSelect.title = edited ? `${state.file} (edited)` : state.file;
  fileSelect.classList.toggle("edited", edited);
}

function openFile(path: string, model?: string): void {
  const f = modelFile(path);
  if (!f) return;
  state.file = path;
  state.model = model;
  fileSelect.value = path;
  editor.setSource(f.source);
  syncModels();
  compileNow();
}

function selectTab(tab: Tab): void {
  state.tab = tab;
  for (const t of tabs) {
    const on = t === tab;
    byId(`tab-${t}`).setAttribute("aria-selected", String(on));
    byId(`tab-${t}`).tabIndex = on ? 0 : -1;
    byId(`panel-${t}`).hidden = !on;
  }
  renderTab(tab);
  saveUrlSoon();
}

let urlTimer = 0;
function saveUrlSoon(): void {
  clearTimeout(urlTimer);
  urlTimer = window.setTimeout(async () => {
    const source = editor.source;
    const known = fileWithSource(source)?.path === state.file;
    const page = {
      source,
      file: state.file,
      tab: state.tab,
      ...(state.model ? { model: state.model } : {}),
    };
    history.replaceState(null, "", await encodeState(page, known));
  }, 300);
}

const firstFile = "models/neuron.nn";

/**
 * Shows what the URL holds (a link opened, or pasted over the page's own), else neuron.nn; a link
 * that cannot be read (damaged, cut short, naming no file there is) says so above the page.
 */
async function showUrl(): Promise<void> {
  const hash = location.hash.replace(/^#/, "");
  const shared = await decodeState(hash);
  const readable = shared && (shared.source !== undefined || modelFile(shared.file));
  if (shared && readable) {
    state.file = shared.file;
    state.model = shared.model;
    if (!modelFile(shared.file) && ![...fileSelect.options].some((o) => o.value === shared.file))
      fileSelect.append(h("option", { value: shared.file }, shared.file));
    editor.setSource(shared.source ?? modelFile(shared.file)!.source);
  } else if (hash !== "" || !state.compiledSource) {
    state.file = firstFile;
    state.model = undefined;
    editor.setSource(modelFile(firstFile)!.source);
  }
  fileSelect.value = state.file;
  // a hash that names a source or a file (not only a tab) is a link to show
  linkNotice.hidden = !/(^|&)(z|src|file)=/.test(hash) || !!readable;
  if (!linkNotice.hidden)
    byId("link-notice-text").textContent =
      `This link could not be read (${shared ? `no file ${shared.file} here` : "it is damaged or cut short"}): ` +
      `showing ${firstFile} instead.`;
  if (shared?.tab && (tabs as readonly string[]).includes(shared.tab))
    state.tab = shared.tab as Tab;
  syncModels();
  compileNow();
  selectTab(state.tab);
}

/** One sentence on what to try, until it is dismissed. */
function intro(): void {
  const box = byId("intro");
  const seen = "nnc-playground-intro-seen";
  box.hidden = localStorage.getItem(seen) === "1";
  byId("intro-close").addEventListener("click", () => {
    box.hidden = true;
    localStorage.setItem(seen, "1");
  });
}

async function start(): Promise<void> {
  fileSelect.replaceChildren(...modelFiles.map((f) => h("option", { value: f.path }, f.path)));
  fileSelect.addEventListener("change", () => openFile(fileSelect.value));
  modelSelect.addEventListener("change", () => {
    state.model = modelSelect.value;
    compileNow();
  });
  byId("compile").addEventListener("click", () => compileNow());
  tabs.forEach((t, i) => {
    const tab = byId(`tab-${t}`);
    tab.addEventListener("click", () => selectTab(t));
    tab.addEventListener("keydown", (e) => {
      const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length]!;
      selectTab(next);
      byId(`tab-${next}`).focus();
    });
  });
  byId("link-notice-close").addEventListener("click", () => (linkNotice.hidden = true));
  intro();
  window.addEventListener("hashchange", () => void showUrl());
  await showUrl();
  document.body.dataset["ready"] = "true";
}

void start();
