import type { AdmissionTable } from './types';

export const workloadAdmission: AdmissionTable = {};
