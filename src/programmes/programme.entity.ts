import { EntitySchema } from '@mikro-orm/core';

export interface Contact {
  name: string;
  email: string;
}

export interface BoardContact extends Contact {
  role?: string;
}

/** A municipality's restructuring programme (SPEC §4) and the workflow instance that runs it. */
export class Programme {
  id!: string;
  municipality!: string;
  municipalityNumber!: string;
  programmeStart!: string;
  programmeEnd!: string;
  board!: BoardContact[];
  administrators!: Contact[];
  mayor!: Contact | null;
  instanceId!: string;
  createdAt!: string;
  updatedAt!: string;
}

export const ProgrammeSchema = new EntitySchema<Programme>({
  class: Programme,
  tableName: 'programme',
  indexes: [{ properties: ['municipality'], name: 'programme_municipality_index' }],
  uniques: [{ properties: ['instanceId'], name: 'programme_instance_unique' }],
  properties: {
    id: { type: 'uuid', primary: true },
    municipality: { type: 'string', length: 200 },
    municipalityNumber: { type: 'string', length: 4 },
    programmeStart: { type: 'string', length: 10 },
    programmeEnd: { type: 'string', length: 10 },
    board: { type: 'json' },
    administrators: { type: 'json' },
    mayor: { type: 'json', nullable: true },
    instanceId: { type: 'uuid' },
    createdAt: { type: 'string', length: 30 },
    updatedAt: { type: 'string', length: 30 },
  },
});
