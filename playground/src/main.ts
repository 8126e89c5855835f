// The playground page: the editor on the left, the views of the compiled model on the right, the
// state in the URL.
import { compile, type CompileOptions, type Compiled, type Diagnostic } from "nnc";
import { diagnosticsOf, type Ctx, type View } from "./app.ts";
import { CircuitView } from "./circuit-view.ts";
import { CodeView } from "./code-view.ts";
import { h } from "./dom.ts";
import { NnEditor } from "./editor.ts";
import { GraphView } from "./graph-view.ts";
import { MnistView } from "./mnist-view.ts";
import { fileWithSource, modelFile, modelFiles, modelNames } from "./models.ts";
import { decodeState, encodeState } from "./share.ts";
import { TrainView } from "./train-view.ts";
import "./style.css";

const tabs = ["graph", "code", "circuit", "train", "mnist"] as const;
type Tab = (typeof tabs)[number];
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const fileSelect = byId<HTMLSelectElement>("file");
const modelSelect = byId<HTMLSelectElement>("model");
const status = byId<HTMLSpanElement>("status");
const diagnosticsList = byId<HTMLUListElement>("diagnostics");

const views: Record<Tab, View> = {
  graph: new GraphView(byId("panel-graph")),
  code: new CodeView(byId("panel-code")),
  circuit: new CircuitView(byId("panel-circuit")),
  train: new TrainView(byId("panel-train")),
  mnist: new MnistView(byId("panel-mnist")),
};

const state = {
  file: "models/neuron.nn",
  model: undefined as string | undefined,
  tab: "circuit" as Tab,
  /** what the views show: the last source compiled with Ctrl+Enter, a pick or a link */
  compiledSource: "",
  compiled: null as Compiled | null,
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
  check: (source) => diagnosticsOf(source, options()),
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
  state.compiledSource = editor.source;
  state.cache.clear();
  const start = performance.now();
  try {
    state.compiled = compile(state.compiledSource, options());
    const ms = performance.now() - start;
    const isolated = globalThis.crossOriginIsolated ? ", cross-origin isolated" : "";
    status.textContent = `compiled ${state.compiled.model.name} in ${ms.toFixed(0)} ms${isolated}`;
    status.className = "ok";
  } catch (e) {
    state.compiled = null;
    const list = diagnosticsOf(state.compiledSource, options());
    showDiagnostics(list);
    status.textContent = `${list.length} error${list.length === 1 ? "" : "s"}`;
    status.className = "bad";
  }
  views[state.tab].render(ctx);
  saveUrlSoon();
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
  views[tab].render(ctx);
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

/** Shows what the URL holds (a link opened, or pasted over the page's own), else neuron.nn. */
async function showUrl(): Promise<void> {
  const shared = await decodeState(location.hash);
  if (shared && (shared.source !== undefined || modelFile(shared.file))) {
    state.file = shared.file;
    state.model = shared.model;
    if (!modelFile(shared.file) && ![...fileSelect.options].some((o) => o.value === shared.file))
      fileSelect.append(h("option", { value: shared.file }, shared.file));
    fileSelect.value = shared.file;
    editor.setSource(shared.source ?? modelFile(shared.file)!.source);
  } else if (!state.compiledSource) editor.setSource(modelFile(state.file)!.source);
  if (shared?.tab && (tabs as readonly string[]).includes(shared.tab))
    state.tab = shared.tab as Tab;
  syncModels();
  compileNow();
  selectTab(state.tab);
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
  window.addEventListener("hashchange", () => void showUrl());
  await showUrl();
  document.body.dataset["ready"] = "true";
}

void start();
