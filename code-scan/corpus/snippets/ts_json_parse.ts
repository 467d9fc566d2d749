export function parseConfig(text: string): Record<string, unknown> {
  return JSON.parse(text);
}
