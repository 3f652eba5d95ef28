/** Text for an HTML element's content or a quoted attribute: markup in it stays text. */
export function htmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
