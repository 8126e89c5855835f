// Small helpers to build HTML and SVG elements.

type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

function fill<E extends Element>(e: E, attrs: Attrs, children: Child[]): E {
  for (const [k, v] of Object.entries(attrs))
    if (v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : String(v));
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** An HTML element: `h("button", { class: "x" }, "text")`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  return fill(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);
}

/** A labelled form control: `<label>text <control></label>`. */
export function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  return h("label", {}, `${text} `, control);
}

/** A labelled checkbox that calls `onChange` with its new state. */
export function checkbox(
  text: string,
  checked: boolean,
  onChange: (checked: boolean) => void,
): HTMLLabelElement {
  const input = h("input", { type: "checkbox", name: text });
  input.checked = checked;
  input.addEventListener("change", () => onChange(input.checked));
  return h("label", {}, input, ` ${text}`);
}

/** A labelled number field that calls `set` with a value that passes `ok`, ignoring others. */
export function numberField(
  label: string,
  value: number | undefined,
  attrs: { min: number; step: number | "any"; size: number; integer?: boolean },
  ok: (v: number) => boolean,
  set: (v: number) => void,
): HTMLLabelElement {
  const { integer, ...rest } = attrs;
  const input = h("input", { type: "number", "aria-label": label, ...rest });
  input.value = value !== undefined ? String(value) : "";
  input.addEventListener("change", () => {
    const v = integer ? Math.floor(Number(input.value)) : Number(input.value);
    if (input.value.trim() !== "" && ok(v)) set(v);
  });
  return labelled(label, input);
}

/** Checkboxes for the options of `opts` (labelled by `labels`), which set them and call `changed`. */
export function optionBoxes<K extends string>(
  opts: Record<K, boolean>,
  labels: Record<K, string>,
  changed: () => void,
): HTMLLabelElement[] {
  return (Object.keys(labels) as K[]).map((k) =>
    checkbox(labels[k], opts[k], (v) => {
      opts[k] = v;
      changed();
    }),
  );
}

/** Marks (class `linked`) the elements under `root` matching `selector` whose data-line is `line`. */
export function markLine(root: ParentNode | null, selector: string, line: number | null): void {
  for (const e of root?.querySelectorAll<HTMLElement | SVGElement>(selector) ?? [])
    e.classList.toggle("linked", line !== null && e.dataset["line"] === String(line));
}

/** A `<select>` of options [value, text]. */
export function select(
  options: readonly (readonly [string, string])[],
  value: string,
  attrs: Attrs = {},
): HTMLSelectElement {
  const e = h("select", attrs, ...options.map(([v, t]) => h("option", { value: v }, t)));
  e.value = value;
  return e;
}

/** A number as a diagram shows it: two decimals, or an exponent for the very small and large. */
export function short(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 0.005 || a >= 1e5)) return x.toExponential(1);
  const t = x.toFixed(2);
  return t === "-0.00" ? "0.00" : t;
}
