// Kubernetes resource quantities as `kubectl describe` prints them (k8s.io/apimachinery resource.Quantity):
// binary suffixes Ki Mi Gi Ti, decimal k M G T, or plain bytes.
const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

export function quantityBytes(s: string): number | undefined {
  const m = /^(\d{1,15}(?:\.\d{1,6})?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(s.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2] ?? '']!);
}
