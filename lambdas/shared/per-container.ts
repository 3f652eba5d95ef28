/**
 * Makes a value once per Lambda container (clients, the kubeconfig, parsed env), so warm
 * invocations reuse connections. A failure is not kept: the next invocation tries again.
 *
 * A module of its own, importing nothing: every handler uses it, and a handler must not load
 * the AWS clients of another step's wiring with it (each cold start pays for what it imports).
 */
export function perContainer<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (!value) {
      value = make();
      value.catch(() => (value = undefined));
    }
    return value;
  };
}
