// train_ddp.py reads its CSV file as `nnc train` does, and refuses the same data with the same
// codes and messages: its checks are written here from nnc's own definitions. The number pattern,
// the line ends, what JavaScript's trim() strips, the limits, the file kinds and every message
// (as pieces around its parts: `fill` puts the parts in) come from src/train/ (csv.ts, errors.ts,
// file-access.ts, data.ts, labels.ts); the model's rules (the columns it takes, what each target
// may hold, what its metric asks) are computed here from the model, by the functions `fit` calls.
// What stays written twice is the order of the checks, in fixed Python below, which
// test/export-ddp.test.ts runs on every bad CSV of the trainer's tests against `nnc train`.
import { pyString } from "../codegen/text.ts";
import { NnError } from "../diagnostics.ts";
import type { ModelIR } from "../ir/model.ts";
import { csvMessages, lineEnd, numberPattern } from "../train/csv.ts";
import { columnsMessage, slots, widths, type Slot } from "../train/data.ts";
import { cellWords, echoLimit } from "../train/errors.ts";
import { FILE_LIMITS, fileMessages, OTHER_FILES } from "../train/file-access.ts";
import { metricCheck, targetRule, type TargetRule } from "../train/labels.ts";
import { F32_MAX } from "../train/safetensors.ts";
import { pyFloat } from "./python.ts";

/** A message as Python data: its text pieces, and the index of each part between them. */
type Template = (string | number)[];

/** The template of a message function of `n` parts (strings). */
function template(message: (...parts: string[]) => string, n: number): Template {
  const text = message(...Array.from({ length: n }, (_, i) => `\0${i}\0`));
  return text.split(/\0(\d+)\0/).map((piece, i) => (i % 2 === 1 ? Number(piece) : piece));
}

type Py = null | boolean | number | string | Template | Py[] | { [key: string]: Py };

/** Data as a Python literal (integers as ints, text through pyString), broken where long. */
function py(v: Py, indent = ""): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (typeof v === "string") return pyString(v);
  const inner = indent + "    ";
  const items = Array.isArray(v)
    ? v.map((x) => py(x, inner))
    : Object.entries(v).map(([k, x]) => `${pyString(k)}: ${py(x, inner)}`);
  const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
  const flat = `${open}${items.join(", ")}${close}`;
  const primitives = Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null);
  if (primitives || (indent.length + flat.length <= 80 && !flat.includes("\n"))) return flat;
  return `${open}\n${items.map((x) => `${inner}${x},\n`).join("")}${indent}${close}`;
}

/** Every character JavaScript's trim() strips: how nnc finds blank lines and cells. */
function jsBlanks(): string {
  let out = "";
  for (let c = 0; c <= 0xffff; c++) {
    const ch = String.fromCharCode(c);
    if (ch.trim() === "") out += ch;
  }
  return out;
}

function rule(r: TargetRule | null): Py {
  if (!r) return null;
  const allowed: Record<string, Py> =
    "classes" in r.allowed ? { classes: r.allowed.classes } : { values: [...r.allowed.values] };
  return { code: r.code, ...allowed, why: template((v) => r.why(v), 1) };
}

/** The model's side of `fit`: the slots, or the error that there are none. */
function fitRules(model: ModelIR): Record<string, Py> {
  let ss: Slot[];
  try {
    ss = slots(model, "");
  } catch (e) {
    if (!(e instanceof NnError)) throw e;
    return { unfit: e.diagnostics[0]!.message };
  }
  const { full, compact } = widths(ss);
  const check = metricCheck(model);
  return {
    unfit: null,
    full,
    compact,
    columns: template((n) => columnsMessage(model, ss, n), 1),
    slots: ss.map((s) => ({
      name: s.leaf.name,
      target: s.role === "target",
      width: s.width,
      shape: s.leaf.shape.slice(1) as number[],
      rule: s.role === "target" ? rule(targetRule(model, s.leaf.name)) : null,
      classes:
        s.role === "target" && s.width > 1 ? rule(targetRule(model, s.leaf.name, s.width)) : null,
    })),
    metric: check && {
      target: check.target,
      k: check.k,
      not_one_hot: check.notOneHot,
      not_index: template((v) => check.notIndex(v), 1),
      not_label: template((v) => check.notLabel(v), 1),
      mixed: check.mixed,
      where: check.where,
    },
  };
}

/** The data checks' constants, from nnc's definitions and the model. */
function constants(model: ModelIR): string[] {
  const limit = FILE_LIMITS.csv;
  const messages: Record<string, Py> = {
    no_such_file: csvMessages.noSuchFile,
    unreadable: template(csvMessages.unreadable, 1),
    not_regular: template(fileMessages.notRegular, 2),
    too_large: template(fileMessages.tooLarge, 4),
    empty: csvMessages.empty,
    no_header: csvMessages.noHeader,
    no_rows: csvMessages.noRows,
    row_columns: template(csvMessages.rowColumns, 2),
    cell: template(cellWords, 2),
    not_number: template(csvMessages.notNumber, 2),
    is_empty: csvMessages.isEmpty,
    is_text: template(csvMessages.isText, 1),
    beyond_f32: template(csvMessages.beyondF32, 3),
  };
  return [
    "# The data checks of nnc train, written by nnc export from its own definitions: see read_data.",
    `NUMBER = re.compile(${pyString(numberPattern.source)}, re.ASCII)`,
    `LINE_END = re.compile(${pyString(lineEnd.source)})`,
    `JS_BLANKS = ${pyString(jsBlanks())}`,
    `ECHO_LIMIT = ${echoLimit}`,
    `F32_MAX = ${pyFloat(F32_MAX)}`,
    `F32_RANGE = ${pyString(F32_MAX.toPrecision(3))}`,
    `CSV_LIMIT = ${py({ bytes: limit.bytes, size: limit.size, what: limit.what })}`,
    `OTHER_FILES = ${py({ ...OTHER_FILES })}`,
    `MESSAGES = ${py(messages)}`,
    `FIT = ${py(fitRules(model))}`,
  ];
}

const checks = `

class DataError(Exception):
    """An error about the data, as nnc prints it: FILE:LINE:COL: error CODE: message, then the
    line (unless it is long) and a caret under the column."""

    def __init__(self, code, file, line, col, message, text=""):
        head = f"{file}:{line}:{col}: error {code}: {message}"
        shown = (text if utf16_length(text) <= ECHO_LIMIT else "").replace("\\t", " ")
        if js_trim(shown) == "":
            super().__init__(head)
        else:
            gutter = f"{line} | "
            super().__init__(f"{head}\\n{gutter}{shown}\\n{' ' * (len(gutter) + max(0, col - 1))}^")


def fill(template, *parts):
    """A message of MESSAGES (its pieces, and the index of each part between them)."""
    return template if isinstance(template, str) else "".join(parts[x] if isinstance(x, int) else x for x in template)


def utf16_length(text):
    """Lengths and columns as nnc counts them: in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def js_trim(text):
    return text.strip(JS_BLANKS)


def js_number(x):
    """A number as JavaScript writes it (String(x)), as nnc's messages show numbers."""
    if x != x:
        return "NaN"
    if x in (math.inf, -math.inf):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x < 0:
        return "-" + js_number(-x)
    mantissa, _, exponent = repr(float(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    n = len(whole) + int(exponent or 0)  # x = 0.digits * 10^n
    while digits.startswith("0"):
        digits, n = digits[1:], n - 1
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    return (digits if k == 1 else digits[0] + "." + digits[1:]) + f"e{sign}{abs(e)}"


def read_text(path):
    """The file's text, refused as nnc refuses it: missing, not a regular file, too large."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DataError("NN6001", path, 1, 1, MESSAGES["no_such_file"])
    except OSError as e:
        raise DataError("NN6001", path, 1, 1, fill(MESSAGES["unreadable"], str(e)))
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "directory" if stat.S_ISDIR(st.st_mode)
            else "characterDevice" if stat.S_ISCHR(st.st_mode)
            else "blockDevice" if stat.S_ISBLK(st.st_mode)
            else "fifo" if stat.S_ISFIFO(st.st_mode)
            else "socket" if stat.S_ISSOCK(st.st_mode)
            else "other"
        )
        raise DataError("NN5002", path, 1, 1, fill(MESSAGES["not_regular"], OTHER_FILES[kind], CSV_LIMIT["what"]))
    if st.st_size > CSV_LIMIT["bytes"]:
        parts = (f"{st.st_size:,}", CSV_LIMIT["what"], CSV_LIMIT["size"], f"{CSV_LIMIT['bytes']:,}")
        raise DataError("NN5003", path, 1, 1, fill(MESSAGES["too_large"], *parts))
    try:
        with open(path, "rb") as f:
            data = f.read(CSV_LIMIT["bytes"] + 1)
    except OSError as e:
        raise DataError("NN6001", path, 1, 1, fill(MESSAGES["unreadable"], str(e)))
    return data.decode("utf-8", errors="replace")


def cells(line):
    """The line cut at commas: each cell's text, trimmed, and its 1-based column."""
    out = []
    start = 0
    for raw in line.split(","):
        lead = len(raw) - len(raw.lstrip(JS_BLANKS))
        out.append((js_trim(raw), utf16_length(line[: start + lead]) + 1))
        start += len(raw) + 1
    return out


def unquote(text):
    return text[1:-1] if len(text) >= 2 and text.startswith('"') and text.endswith('"') else text


def cell_name(header, j):
    return fill(MESSAGES["cell"], str(j + 1), header[j] or "unnamed")


def parse_csv(text, file, limit):
    """nnc's parseCsv: a header row, then rows of finite numbers; blank lines skipped."""
    if text.startswith("\\ufeff"):
        text = text[1:]
    lines = LINE_END.split(text)
    first = next((i for i, line in enumerate(lines) if js_trim(line) != ""), -1)
    if first < 0:
        raise DataError("NN6002", file, 1, 1, MESSAGES["empty"])
    header_cells = cells(lines[first])
    header = [unquote(t) for t, _ in header_cells]
    if all(NUMBER.fullmatch(t) for t, _ in header_cells):
        raise DataError("NN6006", file, first + 1, 1, MESSAGES["no_header"], lines[first])
    columns = len(header)
    rows, row_lines = [], []
    for i in range(first + 1, len(lines)):
        line = lines[i]
        if js_trim(line) == "":
            continue
        row = cells(line)
        if len(row) != columns:
            col = row[columns][1] if len(row) > columns else utf16_length(line) + 1
            count = f"{len(row)} column{'' if len(row) == 1 else 's'}"
            raise DataError("NN6003", file, i + 1, col, fill(MESSAGES["row_columns"], count, str(columns)), line)
        values = []
        for j, (cell, col) in enumerate(row):
            number = js_trim(unquote(cell))
            name = cell_name(header, j)
            if not NUMBER.fullmatch(number) or not math.isfinite(float(number)):
                what = MESSAGES["is_empty"] if cell == "" else fill(MESSAGES["is_text"], cell)
                raise DataError("NN6004", file, i + 1, col, fill(MESSAGES["not_number"], name, what), line)
            if abs(float(number)) > limit:
                message = fill(MESSAGES["beyond_f32"], name, number, F32_RANGE)
                raise DataError("NN6008", file, i + 1, col, message, line)
            values.append(float(number))
        rows.append(values)
        row_lines.append(i + 1)
    if not rows:
        raise DataError("NN6002", file, first + 2, 1, MESSAGES["no_rows"])
    return {"file": file, "header": header, "rows": rows, "row_lines": row_lines, "lines": lines}


def cell_error(table, r, j, code, message):
    """An error at row r, column j of the table, at its line and column in the file."""
    line = table["row_lines"][r]
    text = table["lines"][line - 1]
    row = cells(text)
    col = row[j][1] if j < len(row) else 1
    return DataError(code, table["file"], line, col, f"{cell_name(table['header'], j)} {message}", text)


def allows(rule, v):
    if "classes" in rule:
        return v == math.floor(v) and 0 <= v < rule["classes"]
    return v in rule["values"]


def is_one_hot(row):
    return all(v in (0, 1) for v in row) and sum(row) == 1


def metric_problem(y, check):
    """The first row whose target is not a class the metric can compare with, and why."""
    k = check["k"]
    w = len(y[0]) if y else 1
    for r, row in enumerate(y):
        if w > 1 and not is_one_hot(row):
            return r, check["not_one_hot"]
        v = row[0]
        if w == 1 and k > 1 and not (v == math.floor(v) and 0 <= v < k):
            return r, fill(check["not_index"], js_number(v))
    if w > 1 or k > 1:
        return None
    flat = [row[0] for row in y]
    outside = next((r for r, v in enumerate(flat) if v not in (0, 1, -1)), -1)
    if outside >= 0:
        return outside, fill(check["not_label"], js_number(flat[outside]))
    mixed = next((r for r, v in enumerate(flat) if v == -1), -1) if 0 in flat else -1
    if mixed >= 0:
        return mixed, check["mixed"]
    return None


def fit(table):
    """nnc's fit: the columns fill the inputs, then the targets, each by its width; a one-hot
    target may be one column holding the class index. Each target holds what its rule allows."""
    file = table["file"]
    if FIT["unfit"] is not None:
        raise DataError("NN6005", file, 1, 1, FIT["unfit"])
    columns = len(table["header"])
    as_class = columns != FIT["full"] and columns == FIT["compact"]
    if columns != FIT["full"] and not as_class:
        raise DataError("NN6003", file, 1, 1, fill(FIT["columns"], str(columns)))
    fields, first_column, col = {}, {}, 0
    for slot in FIT["slots"]:
        first_column[slot["name"]] = col
        as_index = as_class and slot["target"] and slot["width"] > 1
        rule = slot["classes"] if as_index else slot["rule"]
        data = []
        for r, row in enumerate(table["rows"]):
            values = [0.0] * slot["width"]
            for j in range(1 if as_index else slot["width"]):
                v = row[col + j]
                if rule is not None and not allows(rule, v):
                    raise cell_error(table, r, col + j, rule["code"], fill(rule["why"], js_number(v)))
                if as_index:
                    values[int(v)] = 1.0
                else:
                    values[j] = v
            data.append(values)
        col += 1 if as_index else slot["width"]
        fields[slot["name"]] = data
    check = FIT["metric"]
    if check is not None and check["target"] in fields:
        problem = metric_problem(fields[check["target"]], check)
        if problem is not None:
            r, message = problem
            raise cell_error(table, r, first_column[check["target"]], "NN6050", message + check["where"])
    return fields


def read_data(path, dtype):
    """The CSV file as nnc train reads it for a model of this dtype: {name: rows}, and the number
    of rows; bad data is a DataError with nnc's code and message."""
    limit = F32_MAX if dtype == "f32" else math.inf
    table = parse_csv(read_text(path), path, limit)
    return fit(table), len(table["rows"])
`;

/** The Python of train_ddp.py's data reading and checks, for `model`. */
export function dataChecks(model: ModelIR): string {
  return [...constants(model), checks].join("\n");
}
