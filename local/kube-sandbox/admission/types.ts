import type { ResourceType } from '../resources';
import type { KubeObject } from '../store';

/** A field error, reported in a 422 Invalid Status as the API server does. */
export interface FieldCause {
  field: string;
  message: string;
  /** metav1.CauseType, e.g. FieldValueRequired, FieldValueInvalid. @default FieldValueInvalid */
  reason?: string;
}

/**
 * What `metadata.name` must be, as the type's name function in ValidateObjectMeta has it:
 * an RFC 1123 subdomain (most types), an RFC 1123 label (Namespaces), an RFC 1035 label
 * (Services), or anything (core/v1 Events, validated leniently for old clients).
 */
export type NameRule = 'subdomain' | 'label' | 'dns1035-label' | 'none';

/**
 * What the API server does to an object of one type before storing it: fill defaults
 * (as the defaulting functions in k8s.io/kubernetes/pkg/apis/.../defaults.go do) and
 * validate (as pkg/apis/.../validation does), for create and update alike.
 */
export interface AdmissionRules {
  /**
   * The name rule, checked on create (names cannot change afterwards). A function when it
   * depends on the API version asked for. @default 'subdomain'
   */
  name?: NameRule | ((t: ResourceType) => NameRule);
  /** A limit on the name's length stricter than the rule's own. */
  maxNameLength?: number;
  /** `old` is set on update (some defaults, like a Job's generated selector, apply on create only). */
  default?(obj: KubeObject, old?: KubeObject): void;
  /** `old` is set on update. Returns the field errors, empty when valid. */
  validate?(obj: KubeObject, old?: KubeObject): FieldCause[];
}

/** Admission rules keyed by the resource type's storage key (`pods`, `deployments.apps`). */
export type AdmissionTable = Record<string, AdmissionRules>;
