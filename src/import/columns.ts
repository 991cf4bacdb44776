// Which user field a column holds, from the header names spreadsheets and shop exports actually use.
import { USER_FIELD_NAMES, type UserFieldName } from '../../tools/schemas.js';

/** A column holding the whole name, split into first and last name when those columns are absent. */
export const FULL_NAME = 'full_name';
export type ColumnTarget = UserFieldName | typeof FULL_NAME;

/** Header names (compared without case, spaces, dashes, dots or underscores) → field. */
const ALIASES: Record<string, ColumnTarget> = {
  email: 'email',
  emailaddress: 'email',
  mail: 'email',
  mailaddress: 'email',
  customeremail: 'email',
  firstname: 'first_name',
  first: 'first_name',
  givenname: 'first_name',
  forename: 'first_name',
  voornaam: 'first_name',
  vorname: 'first_name',
  prenom: 'first_name',
  lastname: 'last_name',
  last: 'last_name',
  surname: 'last_name',
  familyname: 'last_name',
  achternaam: 'last_name',
  nachname: 'last_name',
  nom: 'last_name',
  name: FULL_NAME,
  fullname: FULL_NAME,
  customername: FULL_NAME,
  phone: 'phone',
  phonenumber: 'phone',
  telephone: 'phone',
  tel: 'phone',
  mobile: 'phone',
  mobilephone: 'phone',
  mobilenumber: 'phone',
  cell: 'phone',
  cellphone: 'phone',
  gsm: 'phone',
  address: 'address',
  street: 'address',
  streetaddress: 'address',
  address1: 'address',
  addressline1: 'address',
  zip: 'zip',
  zipcode: 'zip',
  postcode: 'zip',
  postalcode: 'zip',
  postal: 'zip',
  city: 'city',
  town: 'city',
};
for (const field of USER_FIELD_NAMES) ALIASES[field.replace(/_/g, '')] = field;

const squash = (header: string): string =>
  header
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[\s\-_.]/g, '');

export function fieldForHeader(header: string): ColumnTarget | undefined {
  const key = squash(header);
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}

/** Headers shown in a result are cut short: a header cell can be as long as any other cell. */
export const shownHeader = (header: string): string => (header.length > 60 ? `${header.slice(0, 57)}…` : header);

/** The mapping of a file's headers: the first column for a field wins; the others are reported as unmapped. */
export class ColumnMap {
  private readonly byHeader = new Map<string, ColumnTarget | null>();
  private readonly taken = new Set<ColumnTarget>();

  /** The field this header feeds, or undefined (unmapped). Decided once per header, in order of first sight. */
  target(header: string): ColumnTarget | undefined {
    let target = this.byHeader.get(header);
    if (target === undefined) {
      const field = fieldForHeader(header);
      target = field !== undefined && !this.taken.has(field) ? field : null;
      if (target) this.taken.add(target);
      this.byHeader.set(header, target);
    }
    return target ?? undefined;
  }

  /** For the plan: mapped header → field, and the headers left out (at most `limit` of each, plus a count). */
  summary(limit = 20): { mapped: Record<string, string>; unmapped: string[]; unmapped_count: number } {
    const mapped: Record<string, string> = {};
    const unmapped: string[] = [];
    let count = 0;
    for (const [header, target] of this.byHeader) {
      if (target) {
        if (Object.keys(mapped).length < limit) mapped[shownHeader(header)] = target;
      } else {
        count++;
        if (unmapped.length < limit) unmapped.push(shownHeader(header) || '(blank header)');
      }
    }
    return { mapped, unmapped, unmapped_count: count };
  }
}
