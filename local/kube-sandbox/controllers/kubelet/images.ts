/**
 * The image manager (EnsureImageExists): pulls as containerd reports them, a node's image cache
 * honouring imagePullPolicy, and ErrImagePull / ImagePullBackOff under the image back-off.
 */
import { createHash } from 'node:crypto';
import { goDuration, nextBackOff } from './backoff';
import { record } from './events';
import { later, SYNC_DELAY_MS, type ContainerRun, type KubeletState, type PodRun } from './state';
import { publish } from './status-manager';

/** A reference as containerd reports it: registry and `library/` made explicit, `:latest` when untagged. */
export function normalizeImage(image: string): string {
  const [name, digest] = image.split('@');
  const firstSlash = name.indexOf('/');
  const first = firstSlash < 0 ? '' : name.slice(0, firstSlash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let full = hasRegistry ? name : `docker.io/${firstSlash < 0 ? `library/${name}` : name}`;
  const tagged = full.lastIndexOf(':') > full.lastIndexOf('/');
  if (!tagged && !digest) full += ':latest';
  return digest ? `${full}@${digest}` : full;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function imageIdOf(image: string): string {
  const normalized = normalizeImage(image);
  const at = normalized.indexOf('@');
  if (at >= 0) return normalized;
  const repository = normalized.slice(0, normalized.lastIndexOf(':'));
  return `${repository}@sha256:${sha256(normalized)}`;
}

/** A stable pseudo-random pull duration and size per image, so repeated pulls fold into one event. */
function pullFacts(image: string): { ms: number; bytes: number } {
  const n = parseInt(sha256(image).slice(0, 8), 16);
  return { ms: 800 + (n % 3200), bytes: 8_000_000 + (n % 150_000_000) };
}

function pullError(image: string): string {
  const ref = normalizeImage(image);
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
}

/** EnsureImageExists: the pull (or the cache hit), then `done(pulled)`. */
export function pullImage(
  k: KubeletState,
  run: PodRun,
  c: ContainerRun,
  done: (pulled: boolean) => void,
): void {
  const image = c.spec.image ?? '';
  const cache = k.imagesOnNode.get(run.nodeName) ?? new Set<string>();
  k.imagesOnNode.set(run.nodeName, cache);
  if (c.behavior.mode === 'image-pull-failure') {
    record(k, run, c, 'Normal', 'Pulling', `Pulling image "${image}"`);
    later(k, c.timers, pullFacts(image).ms, () => {
      const error = pullError(image);
      record(k, run, c, 'Warning', 'Failed', `Failed to pull image "${image}": ${error}`);
      record(k, run, c, 'Warning', 'Failed', 'Error: ErrImagePull');
      c.waiting = { reason: 'ErrImagePull', message: error };
      c.pullBackOff = nextBackOff(k, c.pullBackOff, k.clock.now());
      publish(k, run);
      done(false);
      later(k, c.timers, SYNC_DELAY_MS, () => {
        record(k, run, c, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
        record(k, run, c, 'Warning', 'Failed', 'Error: ImagePullBackOff');
        c.waiting = {
          reason: 'ImagePullBackOff',
          message: `Back-off pulling image "${image}": ErrImagePull: ${error}`,
        };
        publish(k, run);
      });
      later(k, c.timers, c.pullBackOff.delayMs, () => pullImage(k, run, c, () => undefined));
    });
    return;
  }
  const normalized = normalizeImage(image);
  if (c.spec.imagePullPolicy !== 'Always' && (cache.has(normalized) || c.spec.imagePullPolicy === 'Never')) {
    record(k, run, c, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
    c.imageID = imageIdOf(image);
    done(true);
    return;
  }
  record(k, run, c, 'Normal', 'Pulling', `Pulling image "${image}"`);
  const facts = pullFacts(image);
  const ms = cache.has(normalized) ? Math.round(facts.ms / 4) : facts.ms;
  later(k, c.timers, ms, () => {
    cache.add(normalized);
    const took = goDuration(ms);
    record(
      k,
      run,
      c,
      'Normal',
      'Pulled',
      `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${facts.bytes} bytes.`,
    );
    c.imageID = imageIdOf(image);
    done(true);
  });
}
