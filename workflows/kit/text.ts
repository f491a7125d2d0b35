/** User-facing text: Norwegian bokmål first, English alongside for API consumers. */
export interface Text {
  nb: string;
  en: string;
}

/** Joins «F3», «F5» as «F3 og F5» / «F3 and F5». */
export function listNb(items: readonly string[]): string {
  return joinList(items, 'og');
}

export function listEn(items: readonly string[]): string {
  return joinList(items, 'and');
}

function joinList(items: readonly string[], conjunction: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

/** Whole kroner with Norwegian digit grouping: «100 000 kr». */
export function formatNok(amount: number): string {
  const grouped = Math.round(amount)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${grouped} kr`;
}
