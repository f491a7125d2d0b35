import type * as VizModule from '@viz-js/viz' with { 'resolution-mode': 'import' };

// @viz-js/viz ships a CommonJS build for require(); its typings are ESM, hence the typed require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { instance } = require('@viz-js/viz') as typeof VizModule;

let viz: Promise<VizModule.Viz> | undefined;

/** Lays DOT out with Graphviz compiled to WebAssembly: no browser, no network, no native binary. */
export async function dotToSvg(dot: string): Promise<string> {
  viz ??= instance();
  return (await viz).renderString(dot, { format: 'svg' });
}
