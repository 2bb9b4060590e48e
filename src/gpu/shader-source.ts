/**
 * WGSL sources live in `shaders/`, one kernel family per file. A variant is chosen with a handful of
 * defines: flags select `#if NAME` / `#if !NAME` ... `#else` ... `#endif` blocks, numbers become
 * `const NAME: u32 = value;` lines at the top. `#include "file.wgsl"` pulls in shared helpers.
 */
// Bundled by Vite (app, tests, CLI page). Plain Node (the Dawn backend) has no import.meta.glob and
// registers the files it reads from disk instead.
const SOURCES: Record<string, string> = bundledShaders();

function bundledShaders(): Record<string, string> {
  try {
    // Vite replaces this call with the files' contents; elsewhere import.meta.glob is undefined.
    return import.meta.glob('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Supplies shader sources by file name where Vite did not bundle them. */
export function registerShaderSources(files: Record<string, string>): void {
  for (const [name, src] of Object.entries(files)) SOURCES[`../../shaders/${name}`] = src;
}

export type Defines = Record<string, boolean | number>;

export function shaderFile(file: string): string {
  const src = SOURCES[`../../shaders/${file}`];
  if (src === undefined) throw new Error(`no shader file shaders/${file}`);
  return src;
}

/**
 * Expands includes and conditional blocks; numbers in `defines` become u32 constants, placed after
 * any `enable` or `requires` directive.
 */
export function preprocess(file: string, defines: Defines): string {
  const consts = Object.entries(defines)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `const ${k}: u32 = ${v}u;`);
  const body = expand(file, defines, new Set()).split('\n');
  // WGSL wants its directives before any declaration, the constants included.
  const isDirective = (l: string) => /^(enable|requires)\s/.test(l);
  return [...body.filter(isDirective), ...consts, ...body.filter((l) => !isDirective(l))].join('\n');
}

function expand(file: string, defines: Defines, seen: Set<string>): string {
  if (seen.has(file)) throw new Error(`shaders/${file} includes itself`);
  seen.add(file);
  const out: string[] = [];
  // Each stack entry: is the current branch emitted, and was any branch of this #if taken.
  const stack: { emit: boolean; parentEmit: boolean }[] = [];
  const emitting = () => stack.every((s) => s.emit);
  shaderFile(file)
    .split('\n')
    .forEach((line, i) => {
      const t = line.trim();
      const where = `shaders/${file}:${i + 1}`;
      let m: RegExpMatchArray | null;
      if ((m = t.match(/^#if\s+(!?)(\w+)$/))) {
        const value = Boolean(defines[m[2]]);
        stack.push({ emit: m[1] ? !value : value, parentEmit: emitting() });
      } else if (t === '#else') {
        const top = stack.at(-1);
        if (!top) throw new Error(`${where}: #else without #if`);
        top.emit = !top.emit;
      } else if (t === '#endif') {
        if (!stack.pop()) throw new Error(`${where}: #endif without #if`);
      } else if ((m = t.match(/^#include\s+"([\w.-]+)"$/))) {
        if (emitting()) out.push(expand(m[1], defines, seen));
      } else if (t.startsWith('#')) {
        throw new Error(`${where}: unknown directive ${t}`);
      } else if (emitting()) {
        out.push(line);
      }
    });
  if (stack.length) throw new Error(`shaders/${file}: #if without #endif`);
  seen.delete(file);
  return out.join('\n');
}

/** A stable variant name from the file and its defines: the pipeline cache key and profiler label. */
export function variantName(file: string, entry: string, defines: Defines): string {
  const parts = Object.entries(defines)
    .filter(([, v]) => v !== false)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => (v === true ? k.toLowerCase() : `${k.toLowerCase()}${v}`));
  return [file.replace(/\.wgsl$/, ""), entry, ...parts].join('_');
}
