import type { ControllerRevision } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import { controllerRef, controllerUid, types, type ControllerContext } from '../runtime';
import type { KubeObject, Writable } from '../store';
import { sortKeys } from './workload-common';

/*
 * ControllerRevisions as StatefulSets and DaemonSets keep them (k8s.io/kubernetes/pkg/controller/history):
 * one object per distinct pod template, `data` holding the strategic-merge patch that puts
 * that template back, `revision` numbering them. `kubectl rollout history --revision=N` applies
 * `data` to the live object to show a revision's template, and `kubectl rollout undo` sends it
 * as the patch.
 */

export type RevisionObject = KubeObject & Writable<ControllerRevision>;
type Template = Writable<PodTemplateSpec>;

/**
 * `{"spec":{"template":{"$patch":"replace",...}}}`, keys sorted like Go's json.Marshal of the
 * map the controller builds, with the `creationTimestamp: null` a serialized Go template carries:
 * kubectl's "skipped rollback" check compares these bytes with a patch it makes the same way.
 */
export function revisionData(template: Template | undefined): Record<string, unknown> {
  const copy = structuredClone(template ?? {}) as Record<string, unknown>;
  copy.metadata = { creationTimestamp: null, ...(copy.metadata as object) };
  return sortKeys({ spec: { template: { ...copy, $patch: 'replace' } } });
}

/** The pod template a revision puts back. */
export function templateOf(revision: RevisionObject): Template {
  const data = revision.data as { spec?: { template?: Record<string, unknown> } } | undefined;
  const { $patch: _patch, ...template } = structuredClone(data?.spec?.template ?? {});
  const metadata = { ...(template.metadata as Record<string, unknown>) };
  if (metadata.creationTimestamp === null) delete metadata.creationTimestamp;
  return { ...template, metadata } as Template;
}

export function sameData(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

/** The revisions `owner` controls, oldest revision first. */
export function revisionsOf(ctx: ControllerContext, owner: KubeObject): RevisionObject[] {
  return (ctx.store.list(types['controllerrevisions.apps'], owner.metadata.namespace) as RevisionObject[])
    .filter((r) => controllerUid(r) === owner.metadata.uid)
    .sort((a, b) => a.revision - b.revision || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

export function nextRevision(revisions: RevisionObject[]): number {
  return revisions.length ? revisions[revisions.length - 1].revision + 1 : 1;
}

/** `<owner>-<hash>`, with the owner's name cut to 223 characters as history.ControllerRevisionName does. */
function revisionName(ownerName: string, hash: string): string {
  return `${ownerName.slice(0, 223)}-${hash}`;
}

export interface NewRevision {
  data: Record<string, unknown>;
  revision: number;
  /** The owner's template labels: the revision carries them, with its hash under `hashLabel`. */
  templateLabels: Record<string, string> | undefined;
  hashLabel: string;
  /** The name's hash at a collision count (a DaemonSet hashes its template, a StatefulSet the data). */
  hash(collisionCount: number | undefined): string;
}

/**
 * Stores a revision owned by `owner`, carrying the owner's annotations as both controllers do,
 * under the first free name `<owner>-<hash>`: each name another revision holds already bumps
 * `collisionCount`, which goes into the next hash.
 */
export function createRevision<C extends number | undefined>(
  ctx: ControllerContext,
  owner: KubeObject,
  spec: NewRevision,
  collisionCount: C,
): { created: RevisionObject; collisionCount: C | number } {
  let count: C | number = collisionCount;
  for (;;) {
    const hash = spec.hash(count);
    const name = revisionName(owner.metadata.name!, hash);
    if (ctx.store.get(types['controllerrevisions.apps'], owner.metadata.namespace, name)) {
      count = (count ?? 0) + 1;
      continue;
    }
    const annotations = owner.metadata.annotations;
    const created = ctx.store.create(types['controllerrevisions.apps'], {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: owner.metadata.namespace,
        labels: { ...spec.templateLabels, [spec.hashLabel]: hash },
        ...(annotations && Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
        ownerReferences: [controllerRef(owner)],
      },
      data: spec.data,
      revision: spec.revision,
    }) as RevisionObject;
    return { created, collisionCount: count };
  }
}

/** Renumbers a revision that became current again (a rollback) to `revision`. */
export function renumberRevision(
  ctx: ControllerContext,
  rev: RevisionObject,
  revision: number,
): RevisionObject {
  const next = structuredClone(rev);
  next.revision = revision;
  return ctx.store.update(types['controllerrevisions.apps'], next) as RevisionObject;
}

/**
 * Deletes the oldest revisions that no pod and neither the current nor the update revision
 * uses, keeping `limit` of them (revisionHistoryLimit).
 */
export function truncateHistory(
  ctx: ControllerContext,
  revisions: RevisionObject[],
  live: Set<string>,
  limit: number,
): void {
  const history = revisions.filter((r) => !live.has(r.metadata.name!));
  for (const rev of history.slice(0, Math.max(0, history.length - limit))) {
    ctx.store.delete(types['controllerrevisions.apps'], rev.metadata.namespace, rev.metadata.name!);
  }
}
