// Deterministic demo data: three cards and about forty holders drawn from a seeded PRNG.
import { addHolder, grantToHolder } from './holder-records.js';
import {
  SANDBOX_STATE_VERSION,
  formatApiTimestamp,
  thresholdOf,
  type HolderProfile,
  type MembershipCard,
  type PointsCard,
  type SandboxHolder,
  type SandboxState,
  type StampCard,
} from './state.js';

/**
 * Seeded dates are placed before this instant, not before the wall clock, so one seed always gives
 * byte-identical data.
 */
export const SEED_ANCHOR = new Date(Date.UTC(2025, 5, 1, 9, 0, 0));

const DAY_MS = 86_400_000;

/** mulberry32: tiny, fast and good enough for demo data; Math.random cannot be seeded. */
export function createRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class SeedRandom {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = createRandom(seed);
  }
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
  shuffled<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }
  digits(count: number): string {
    let text = '';
    for (let i = 0; i < count; i++) text += String(this.int(0, 9));
    return text;
  }
}

// Every name is used exactly once per seed (only the pairing and order vary), so each seed has the
// same mix of plain and non-ASCII names.
const FIRST_NAMES = [
  'Zoë', 'Łukasz', 'Søren', 'Chloé', 'Anaïs', 'Jürgen', 'Siobhán', 'João', 'Inès', 'Mårten',
  'Emma', 'Liam', 'Olivia', 'Noah', 'Lotte', 'Ruben', 'Femke', 'Pieter', 'Sanne', 'Wout',
  'Lien', 'Mohamed', 'Fatima', 'Yusuf', 'Aisha', 'Oliver', 'Amelia', 'Harry', 'Isla', 'George',
  'Priya', 'Kenji', 'Matteo', 'Giulia', 'Oskar', 'Agnieszka', 'Thomas', 'Marie', 'Lucas',
] as const;
const LAST_NAMES = [
  'Peeters', 'Janssens', 'Maes', 'Claes', 'Willems', 'Dubois', 'Lefèvre', 'De Vries', 'Van den Berg', 'Bakker',
  'Visser', 'Smit', 'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', "O'Brien", 'Kowalski', 'Nowak',
  'Dąbrowski', 'Nielsen', 'Jensen', 'Müller', 'Schneider', 'García', 'Rossi', 'Esposito', 'Silva', 'El Amrani',
  'Yılmaz', 'Novák', 'Haddad', 'Tanaka', 'Patel', 'Andersson', 'Lambert', 'Mertens', 'Hughes',
] as const;

type Country = 'BE' | 'NL' | 'UK';
interface SeedCity {
  city: string;
  zip: string;
  country: Country;
  streets: readonly string[];
}
const CITIES: readonly SeedCity[] = [
  { city: 'Brussels', zip: '1000', country: 'BE', streets: ['Rue de la Loi', 'Rue Neuve', 'Boulevard Anspach'] },
  { city: 'Antwerpen', zip: '2000', country: 'BE', streets: ['Meir', 'Kammenstraat', 'Nationalestraat'] },
  { city: 'Gent', zip: '9000', country: 'BE', streets: ['Veldstraat', 'Kouter', 'Korenmarkt'] },
  { city: 'Leuven', zip: '3000', country: 'BE', streets: ['Bondgenotenlaan', 'Naamsestraat'] },
  { city: 'Liège', zip: '4000', country: 'BE', streets: ['Rue Sainte-Walburge', 'Boulevard de la Sauvenière'] },
  { city: 'Amsterdam', zip: '1015 CJ', country: 'NL', streets: ['Prinsengracht', 'Keizersgracht', 'Haarlemmerstraat'] },
  { city: 'Rotterdam', zip: '3011 AD', country: 'NL', streets: ['Coolsingel', 'Witte de Withstraat'] },
  { city: 'Utrecht', zip: '3511 LX', country: 'NL', streets: ['Oudegracht', 'Lange Nieuwstraat'] },
  { city: 'London', zip: 'EC1A 1BB', country: 'UK', streets: ['High Street', 'Upper Street', 'King Street'] },
  { city: 'Manchester', zip: 'M1 1AE', country: 'UK', streets: ['Deansgate', 'Oldham Street'] },
  { city: 'Edinburgh', zip: 'EH1 1YZ', country: 'UK', streets: ['Royal Mile', 'Rose Street'] },
];

const EMAIL_DOMAINS = ['example.com', 'example.org'] as const;
const CUSTOM_TAGS = ['', '', '', 'vip', 'newsletter', 'staff'] as const;

/** Lower-case ASCII for an email local part: "Łukasz Dąbrowski" -> "lukasz", "dabrowski". */
function asciiSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/\u0142/g, 'l')
    .replace(/\u00F8/g, 'o')
    .replace(/\u0131/g, 'i')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9]/g, '');
}

function phoneFor(country: Country, random: SeedRandom): string {
  if (country === 'BE') return `+324${random.int(60, 99)}${random.digits(6)}`;
  if (country === 'NL') return `+316${random.digits(8)}`;
  return `+447${random.digits(9)}`;
}

function addressFor(city: SeedCity, random: SeedRandom): string {
  const street = random.pick(city.streets);
  const number = random.int(1, 180);
  return city.country === 'UK' ? `${number} ${street}` : `${street} ${number}`;
}

function emailFor(first: string, last: string, random: SeedRandom, taken: Set<string>): string {
  const f = asciiSlug(first);
  const l = asciiSlug(last);
  const domain = random.pick(EMAIL_DOMAINS);
  const local = random.pick([`${f}.${l}`, `${f}${l.slice(0, 1)}`, `${f.slice(0, 1)}${l}`, `${f}.${l}${random.int(10, 99)}`]);
  let email = `${local}@${domain}`;
  for (let n = 2; taken.has(email); n++) email = `${local}${n}@${domain}`;
  taken.add(email);
  return email;
}

/** `count` distinct instants strictly between `from` and `to`, ascending. */
function instantsBetween(from: number, to: number, count: number, random: SeedRandom): number[] {
  const span = Math.max(to - from, count + 1);
  const offsets = new Set<number>();
  while (offsets.size < count) offsets.add(random.int(1, span - 1));
  return [...offsets].sort((a, b) => a - b).map((offset) => from + offset);
}

function seedCards(anchor: number): { coffee: StampCard; boutique: PointsCard; gym: MembershipCard } {
  const createdAt = (daysBefore: number): string => formatApiTimestamp(new Date(anchor - daysBefore * DAY_MS));
  return {
    coffee: {
      id: 1001,
      code: 'cf4r0m',
      name: 'Café Aroma coffee card',
      domain: 'loyalty.coupontools.com',
      type: 'stamp',
      rewards: [
        { id: 1, name: 'Free pastry', stamps_required: 5 },
        { id: 2, name: 'Free coffee', stamps_required: 10 },
      ],
      created_at: createdAt(640),
    },
    boutique: {
      id: 1002,
      code: 'bl00mb',
      name: 'Bloom Boutique points',
      domain: 'save2wallet.link',
      type: 'points',
      rewards: [
        { id: 3, name: '€5 voucher', points_required: 100 },
        { id: 4, name: '€15 voucher', points_required: 250 },
      ],
      created_at: createdAt(610),
    },
    gym: {
      id: 1003,
      code: 'f1tclb',
      name: 'Fit Club membership',
      domain: 'loyalty.coupontools.com',
      type: 'membership',
      rewards: [],
      created_at: createdAt(580),
    },
  };
}

/**
 * Replays a plausible history of visits so balances and earned rewards follow the same rule as
 * live adds; then marks rewards used, keeping the latest one or two available where asked.
 */
function seedHistory(
  state: SandboxState,
  card: StampCard | PointsCard,
  holder: SandboxHolder,
  random: SeedRandom,
  anchor: number,
  keepAvailable: boolean,
): void {
  const firstThreshold = Math.min(...card.rewards.map(thresholdOf));
  const completeAt = Math.max(...card.rewards.map(thresholdOf));
  let lifetime = card.type === 'stamp' ? random.int(0, 3) * completeAt + random.int(0, completeAt - 1) : random.int(0, 700);
  if (keepAvailable && lifetime < firstThreshold) lifetime += firstThreshold;

  const grants: number[] = [];
  for (let given = 0; given < lifetime; ) {
    const step = Math.min(card.type === 'stamp' ? random.int(1, 2) : random.int(8, 60), lifetime - given);
    grants.push(step);
    given += step;
  }
  const createdAt = Date.parse(`${holder.created_at.replace(' ', 'T')}Z`);
  const visits = instantsBetween(createdAt, anchor - DAY_MS, grants.length, random);
  grants.forEach((amount, index) => {
    grantToHolder(state, card, holder, amount, formatApiTimestamp(new Date(visits[index] ?? createdAt)));
  });

  const stillAvailable = keepAvailable ? random.int(1, 2) : 0;
  holder.rewards.forEach((reward, index) => {
    if (index >= holder.rewards.length - stillAvailable) return;
    const earnedAt = Date.parse(`${reward.earned_at.replace(' ', 'T')}Z`);
    const usedAt = Math.min(earnedAt + random.int(1, 20) * DAY_MS + random.int(0, 36_000) * 1000, anchor - random.int(60, 36_000) * 1000);
    reward.status = 'used';
    reward.used_at = formatApiTimestamp(new Date(usedAt));
    if (reward.used_at > holder.updated_at) holder.updated_at = reward.used_at;
  });
}

/**
 * The demo data. Same seed and anchor give byte-identical state. Holder 5001 is always Jane Doe on
 * the coffee card with 7 stamps and her 5-stamp pastry used, because the documented demo flow
 * starts from her. Every balance follows the earning rule: nobody is past a threshold without
 * that reward.
 */
export function seedState(seed = 42, now: Date = SEED_ANCHOR): SandboxState {
  const random = new SeedRandom(seed);
  const anchor = now.getTime();
  const { coffee, boutique, gym } = seedCards(anchor);
  const state: SandboxState = {
    version: SANDBOX_STATE_VERSION,
    next_ids: { card: 1004, holder: 5001, reward: 70001, reward_definition: 5, notification: 1 },
    cards: [coffee, boutique, gym],
    holders: [],
    notifications: [],
  };

  const jane = addHolder(state, coffee, {
    profile: {
      first_name: 'Jane',
      last_name: 'Doe',
      email: 'jane@example.com',
      phone: '+32470000001',
      address: 'Main street 1',
      zip: '1000',
      city: 'Brussels',
    },
    createdAt: formatApiTimestamp(new Date(anchor - random.int(90, 400) * DAY_MS - random.int(0, 86_399) * 1000)),
    walletInstalled: true,
  });
  // Seven stamps by the card's own rule: the fifth unlocked her free pastry, which she has had, so
  // three more stamps complete the card and unlock the free coffee the demo flow redeems.
  const janeVisit = anchor - random.int(1, 20) * DAY_MS;
  const [pastry] = grantToHolder(state, coffee, jane, 7, formatApiTimestamp(new Date(janeVisit - 7 * DAY_MS)));
  if (pastry) {
    pastry.status = 'used';
    pastry.used_at = formatApiTimestamp(new Date(janeVisit));
  }
  jane.updated_at = formatApiTimestamp(new Date(janeVisit));

  // Fixed counts per card (only who gets them varies), so every seed has voided holders, holders
  // without the wallet pass and holders with rewards waiting on each card.
  const plan = [
    { card: coffee, holders: 17, voided: 2, noWallet: 3, withRewards: 5 },
    { card: boutique, holders: 13, voided: 1, noWallet: 2, withRewards: 4 },
    { card: gym, holders: 9, voided: 1, noWallet: 2, withRewards: 0 },
  ];
  const slots = random.shuffled(
    plan.flatMap(({ card, holders, voided, noWallet, withRewards }) =>
      Array.from({ length: holders }, (_, index) => ({
        card,
        voided: index < voided,
        walletInstalled: !(index >= voided && index < voided + noWallet),
        withRewards: index >= holders - withRewards,
      })),
    ),
  );

  const firstNames = random.shuffled(FIRST_NAMES);
  const lastNames = random.shuffled(LAST_NAMES);
  const takenEmails = new Set(['jane@example.com']);
  slots.forEach((slot, index) => {
    const first = firstNames[index] ?? 'Alex';
    const last = lastNames[index] ?? 'Martin';
    const city = random.pick(CITIES);
    const profile: Partial<HolderProfile> = {
      first_name: first,
      last_name: last,
      // A few holders signed up in the shop without giving an email or a phone number.
      email: random.chance(0.05) ? '' : emailFor(first, last, random, takenEmails),
      phone: random.chance(0.08) ? '' : phoneFor(city.country, random),
      address: addressFor(city, random),
      zip: city.zip,
      city: city.city,
      custom_1: random.pick(CUSTOM_TAGS),
    };
    const createdAt = anchor - random.int(20, 540) * DAY_MS - random.int(0, 86_399) * 1000;
    const holder = addHolder(state, slot.card, {
      profile,
      createdAt: formatApiTimestamp(new Date(createdAt)),
      walletInstalled: slot.walletInstalled,
    });
    if (slot.card.type !== 'membership') seedHistory(state, slot.card, holder, random, anchor, slot.withRewards);
    if (slot.voided) {
      holder.voided = true;
      const voidedAt = formatApiTimestamp(new Date(anchor - random.int(1, 48) * 3_600_000));
      if (voidedAt > holder.updated_at) holder.updated_at = voidedAt;
    }
  });
  return state;
}
