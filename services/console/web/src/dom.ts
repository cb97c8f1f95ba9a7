/** A tiny element builder: the console's components are plain functions returning elements. */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export const fmt = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined || Number.isNaN(n)
    ? '–'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

export const short = (uri: string | null | undefined): string =>
  !uri ? '–' : uri.replace(/^https:\/\/id\.gs1\.org\//, '').replace(/^urn:epc:id:/, '');

export const term = (v: string | null | undefined): string =>
  !v ? '–' : v.replace(/^.*[/:]/, '').replace(/^(BizStep|Disp)-/, '');

export const time = (iso: string | number | null | undefined): string =>
  iso === null || iso === undefined ? '–' : new Date(iso).toISOString().replace('T', ' ').slice(0, 19) + 'Z';

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(
    ...children
      .filter((c): c is Node | string => c !== null && c !== undefined && c !== false)
      .map((c) => (c instanceof Node ? c : String(c))),
  );
}
