import type { AdmissionTable } from './types';

export const podAdmission: AdmissionTable = {};
