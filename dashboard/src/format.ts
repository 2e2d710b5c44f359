export function percent(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${(value * 100).toFixed(digits)} %`;
}

export function fixed(value: number | undefined, digits = 4): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

export function usd(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `$${value.toFixed(value < 1 ? 4 : 2)}`;
}

export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function time(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ').slice(0, 19);
}

export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (!from) return undefined;
  const end = to ? Date.parse(to) : Date.now();
  return (end - Date.parse(from)) / 1000;
}

export function params(values: Record<string, unknown> | undefined): string {
  return Object.entries(values ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}
