import { en, type Messages } from './en';
import { es } from './es';

export type { Messages };
const CATALOGUES: Record<string, Messages> = { en, es };

/** The catalogue for an Accept-Language header: the highest-q language we have, else English. */
export function messagesFor(acceptLanguage: string | undefined): Messages {
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([01](\.\d{0,3})?)\s*$/.exec(p)?.[1]).find(Boolean);
      return { base: tag.trim().toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), index };
    })
    .filter((l) => l.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { base } of ranked) {
    const found = CATALOGUES[base];
    if (found) return found;
  }
  return en;
}

/** Fills `{name}` placeholders; unknown names stay visible rather than silently vanishing. */
export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
