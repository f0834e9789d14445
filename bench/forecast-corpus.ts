/**
 * The forecasting bench's evaluation corpus (bench/forecast.ts): a few classic public series,
 * entered by hand, and generated series of four frequencies with the shapes a forecaster meets
 * (trend, additive and multiplicative seasons, damped trends, level shifts, cycles, intermittent
 * demand, outliers, seasonal random walks). Everything is deterministic (seeded PRNG).
 *
 * The public series are textbook data sets whose values are printed in their sources and shipped
 * with R's `datasets` package or with Brockwell & Davis's ITSM; each was checked against two
 * independent copies before being entered. They are a sanity subset, not an acceptance set: the
 * issue's acceptance uses series this project is not shown.
 */
import { prng } from '../lib/prng';
import { FREQUENCIES, Frequency, stepDate } from '../worker/forecast/dates';

/** A frequency group: its step, season length and the horizon evaluated. */
export interface FrequencyGroup {
  readonly name: 'monthly' | 'quarterly' | 'annual' | 'weekly' | 'daily';
  /** The step of its series' dates. */
  readonly frequency: Frequency;
  /** Season length (1: none): the frequency's default, which the contest applies by itself. */
  readonly period: number;
  /** Steps forecast from each origin (and the contest's holdout): the frequency's default holdout. */
  readonly horizon: number;
  /** First date of a generated series (month starts, quarter ends, year ends, Mondays, days). */
  readonly start: string;
}

const group = (name: FrequencyGroup['name'], frequency: Frequency, start: string): FrequencyGroup => ({
  name,
  frequency,
  period: FREQUENCIES[frequency].seasonPeriod,
  horizon: FREQUENCIES[frequency].holdout,
  start,
});

export const GROUPS: readonly FrequencyGroup[] = [
  group('monthly', 'month', '2000-01-01'),
  group('quarterly', 'quarter', '2000-03-31'),
  group('annual', 'year', '1950-12-31'),
  group('daily', 'day', '2020-01-01'),
  // Last, so that the other groups' generated series keep their seeds.
  group('weekly', 'week', '2015-01-05'),
];

/** One series of the corpus. */
export interface CorpusSeries {
  readonly name: string;
  readonly group: FrequencyGroup['name'];
  /** Where it comes from: 'public' (hand-entered) or the generator's shape. */
  readonly source: string;
  readonly values: readonly number[];
  /** The date of each value, `YYYY-MM-DD`, in the group's step. */
  readonly dates: readonly string[];
}

/** `n` dates from `start` in steps of `frequency`. */
function datesFrom(start: string, frequency: Frequency, n: number): string[] {
  return Array.from({ length: n }, (_, i) => stepDate(start, frequency, i));
}

// ---- public series ----

/** Monthly international airline passengers (thousands), 1949-1960 (Box & Jenkins; R: AirPassengers). */
const AIR_PASSENGERS = [
  112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118, 115, 126, 141, 135, 125, 149, 170, 170, 158, 133, 114, 140, 145, 150, 178, 163, 172, 178, 199,
  199, 184, 162, 146, 166, 171, 180, 193, 181, 183, 218, 230, 242, 209, 191, 172, 194, 196, 196, 236, 235, 229, 243, 264, 272, 237, 211, 180, 201, 204, 188,
  235, 227, 234, 264, 302, 293, 259, 229, 203, 229, 242, 233, 267, 269, 270, 315, 364, 347, 312, 274, 237, 278, 284, 277, 317, 313, 318, 374, 413, 405, 355,
  306, 271, 306, 315, 301, 356, 348, 355, 422, 465, 467, 404, 347, 305, 336, 340, 318, 362, 348, 363, 435, 491, 505, 404, 359, 310, 337, 360, 342, 406, 396,
  420, 472, 548, 559, 463, 407, 362, 405, 417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432,
];

/** Monthly Australian red wine sales (kilolitres), Jan 1980 - Oct 1991 (Brockwell & Davis, WINE.TSM). */
const WINE = [
  464, 675, 703, 887, 1139, 1077, 1318, 1260, 1120, 963, 996, 960, 530, 883, 894, 1045, 1199, 1287, 1565, 1577, 1076, 918, 1008, 1063, 544, 635, 804, 980, 1018,
  1064, 1404, 1286, 1104, 999, 996, 1015, 615, 722, 832, 977, 1270, 1437, 1520, 1708, 1151, 934, 1159, 1209, 699, 830, 996, 1124, 1458, 1270, 1753, 2258, 1208,
  1241, 1265, 1828, 809, 997, 1164, 1205, 1538, 1513, 1378, 2083, 1357, 1536, 1526, 1376, 779, 1005, 1193, 1522, 1539, 1546, 2116, 2326, 1596, 1356, 1553, 1613,
  814, 1150, 1225, 1691, 1759, 1754, 2100, 2062, 2012, 1897, 1964, 2186, 966, 1549, 1538, 1612, 2078, 2137, 2907, 2249, 1883, 1739, 1828, 1868, 1138, 1430,
  1809, 1763, 2200, 2067, 2503, 2141, 2103, 1972, 2181, 2344, 970, 1199, 1718, 1683, 2025, 2051, 2439, 2353, 2230, 1852, 2147, 2286, 1007, 1665, 1642, 1525,
  1838, 1892, 2920, 2572, 2617, 2047,
];

/** Monthly accidental deaths in the USA, 1973-1978 (Brockwell & Davis, DEATHS.TSM). */
const US_DEATHS = [
  9007, 8106, 8928, 9137, 10017, 10826, 11317, 10744, 9713, 9938, 9161, 8927, 7750, 6981, 8038, 8422, 8714, 9512, 10120, 9823, 8743, 9129, 8710, 8680, 8162,
  7306, 8124, 7870, 9387, 9556, 10093, 9620, 8285, 8433, 8160, 8034, 7717, 7461, 7776, 7925, 8634, 8945, 10078, 9179, 8037, 8488, 7874, 8647, 7792, 6957, 7726,
  8106, 8890, 9299, 10625, 9302, 8314, 8850, 8265, 8796, 7836, 6892, 7791, 8129, 9115, 9434, 10484, 9827, 9110, 9070, 8633, 9240,
];

/** Mean monthly air temperature at Nottingham Castle (°F), 1920-1939 (R: nottem). */
const NOTTEM = [
  40.6, 40.8, 44.4, 46.7, 54.1, 58.5, 57.7, 56.4, 54.3, 50.5, 42.9, 39.8, 44.2, 39.8, 45.1, 47.0, 54.1, 58.7, 66.3, 59.9, 57.0, 54.2, 39.7, 42.8, 37.5, 38.7,
  39.5, 42.1, 55.7, 57.8, 56.8, 54.3, 54.3, 47.1, 41.8, 41.7, 41.8, 40.1, 42.9, 45.8, 49.2, 52.7, 64.2, 59.6, 54.4, 49.2, 36.3, 37.6, 39.3, 37.5, 38.3, 45.5,
  53.2, 57.7, 60.8, 58.2, 56.4, 49.8, 44.4, 43.6, 40.0, 40.5, 40.8, 45.1, 53.8, 59.4, 63.5, 61.0, 53.0, 50.0, 38.1, 36.3, 39.2, 43.4, 43.4, 48.9, 50.6, 56.8,
  62.5, 62.0, 57.5, 46.7, 41.6, 39.8, 39.4, 38.5, 45.3, 47.1, 51.7, 55.0, 60.4, 60.5, 54.7, 50.3, 42.3, 35.2, 40.8, 41.1, 42.8, 47.3, 50.9, 56.4, 62.2, 60.5,
  55.4, 50.2, 43.0, 37.3, 34.8, 31.3, 41.0, 43.9, 53.1, 56.9, 62.5, 60.3, 59.8, 49.2, 42.9, 41.9, 41.6, 37.1, 41.2, 46.9, 51.2, 60.4, 60.1, 61.6, 57.0, 50.9,
  43.0, 38.8, 37.1, 38.4, 38.4, 46.5, 53.5, 58.4, 60.6, 58.2, 53.8, 46.6, 45.5, 40.6, 42.4, 38.4, 40.3, 44.6, 50.9, 57.0, 62.1, 63.5, 56.3, 47.3, 43.6, 41.8,
  36.2, 39.3, 44.5, 48.7, 54.2, 60.8, 65.5, 64.9, 60.1, 50.2, 42.1, 35.8, 39.4, 38.2, 40.4, 46.9, 53.4, 59.6, 66.5, 60.4, 59.2, 51.2, 42.8, 45.8, 40.0, 42.6,
  43.5, 47.1, 50.0, 60.5, 64.6, 64.0, 56.8, 48.6, 44.2, 36.4, 37.3, 35.0, 44.0, 43.9, 52.7, 58.6, 60.0, 61.1, 58.1, 49.6, 41.6, 41.3, 40.8, 41.0, 38.4, 47.4,
  54.1, 58.6, 61.4, 61.8, 56.3, 50.9, 41.4, 37.1, 42.1, 41.2, 47.3, 46.6, 52.4, 59.0, 59.6, 60.4, 57.0, 50.7, 47.8, 39.2, 39.4, 40.9, 42.4, 47.8, 52.4, 58.0,
  60.7, 61.8, 58.2, 46.7, 46.6, 37.8,
];

/** Quarterly UK gas consumption (million therms), 1960-1986 (R: UKgas). */
const UK_GAS = [
  160.1, 129.7, 84.8, 120.1, 160.1, 124.9, 84.8, 116.9, 169.7, 140.9, 89.7, 123.3, 187.3, 144.1, 92.9, 120.1, 176.1, 147.3, 89.7, 123.3, 185.7, 155.3, 99.3,
  131.3, 200.1, 161.7, 102.5, 136.1, 204.9, 176.1, 112.1, 140.9, 227.3, 195.3, 115.3, 142.5, 244.9, 214.5, 118.5, 153.7, 244.9, 216.1, 188.9, 142.5, 301.0,
  196.9, 136.1, 267.3, 317.0, 230.5, 152.1, 336.2, 371.4, 240.1, 158.5, 355.4, 449.9, 286.6, 179.3, 403.4, 491.5, 321.8, 177.7, 409.8, 593.9, 329.8, 176.1,
  483.5, 584.3, 395.4, 187.3, 485.1, 669.2, 421.0, 216.1, 509.1, 827.7, 467.5, 209.7, 542.7, 840.5, 414.6, 217.7, 670.8, 848.5, 437.0, 209.7, 701.2, 925.3,
  443.4, 214.5, 683.6, 917.3, 515.5, 224.1, 694.8, 989.4, 477.1, 233.7, 730.0, 1087.0, 534.7, 281.8, 787.6, 1163.9, 613.1, 347.4, 782.8,
];

/** Annual Canadian lynx trappings, 1821-1934 (R: lynx): a ~10-year cycle. */
const LYNX = [
  269, 321, 585, 871, 1475, 2821, 3928, 5943, 4950, 2577, 523, 98, 184, 279, 409, 2285, 2685, 3409, 1824, 409, 151, 45, 68, 213, 546, 1033, 2129, 2536, 957,
  361, 377, 225, 360, 731, 1638, 2725, 2871, 2119, 684, 299, 236, 245, 552, 1623, 3311, 6721, 4254, 687, 255, 473, 358, 784, 1594, 1676, 2251, 1426, 756, 299,
  201, 229, 469, 736, 2042, 2811, 4431, 2511, 389, 73, 39, 49, 59, 188, 377, 1292, 4031, 3495, 587, 105, 153, 387, 758, 1307, 3465, 6991, 6313, 3794, 1836, 345,
  382, 808, 1388, 2713, 3800, 3091, 2985, 3790, 674, 81, 80, 108, 229, 399, 1132, 2432, 3574, 2935, 1537, 529, 485, 662, 1000, 1590, 2657, 3396,
];

/** Annual flow of the Nile at Aswan (10^8 m³), 1871-1970 (R: Nile): a level shift around 1899. */
const NILE = [
  1120, 1160, 963, 1210, 1160, 1160, 813, 1230, 1370, 1140, 995, 935, 1110, 994, 1020, 960, 1180, 799, 958, 1140, 1100, 1210, 1150, 1250, 1260, 1220, 1030,
  1100, 774, 840, 874, 694, 940, 833, 701, 916, 692, 1020, 1050, 969, 831, 726, 456, 824, 702, 1120, 1100, 832, 764, 821, 768, 845, 864, 862, 698, 845, 744,
  796, 1040, 759, 781, 865, 845, 944, 984, 897, 822, 1010, 771, 676, 649, 846, 812, 742, 801, 1040, 860, 874, 848, 890, 744, 749, 838, 1050, 918, 986, 797, 923,
  975, 815, 1020, 906, 901, 1170, 912, 746, 919, 718, 714, 740,
];

/** Annual level of Lake Huron (ft, minus 570), 1875-1972 (Brockwell & Davis, LAKE.TSM). */
const LAKE = [
  10.38, 11.86, 10.97, 10.8, 9.79, 10.39, 10.42, 10.82, 11.4, 11.32, 11.44, 11.68, 11.17, 10.53, 10.01, 9.91, 9.14, 9.16, 9.55, 9.67, 8.44, 8.24, 9.1, 9.09,
  9.35, 8.82, 9.32, 9.01, 9, 9.8, 9.83, 9.72, 9.89, 10.01, 9.37, 8.69, 8.19, 8.67, 9.55, 8.92, 8.09, 9.37, 10.13, 10.14, 9.51, 9.24, 8.66, 8.86, 8.05, 7.79,
  6.75, 6.75, 7.82, 8.64, 10.58, 9.48, 7.38, 6.9, 6.94, 6.24, 6.84, 6.85, 6.9, 7.79, 8.18, 7.51, 7.23, 8.42, 9.61, 9.05, 9.26, 9.22, 9.38, 9.1, 7.95, 8.12,
  9.75, 10.85, 10.41, 9.96, 9.61, 8.76, 8.18, 7.21, 7.13, 9.1, 8.25, 7.91, 6.89, 5.96, 6.8, 7.68, 8.38, 8.52, 9.74, 9.31, 9.89, 9.96,
];

/** Annual Wolfer sunspot numbers, 1770-1869 (Brockwell & Davis, SUNSPOTS.TSM): an ~11-year cycle. */
const SUNSPOTS = [
  101, 82, 66, 35, 31, 7, 20, 92, 154, 125, 85, 68, 38, 23, 10, 24, 83, 132, 131, 118, 90, 67, 60, 47, 41, 21, 16, 6, 4, 7, 14, 34, 45, 43, 48, 42, 28, 10, 8,
  2, 0, 1, 5, 12, 14, 35, 46, 41, 30, 24, 16, 7, 4, 2, 8, 17, 36, 50, 62, 67, 71, 48, 28, 8, 13, 57, 122, 138, 103, 86, 63, 37, 24, 11, 15, 40, 62, 98, 124, 96,
  66, 64, 54, 39, 21, 7, 4, 23, 55, 94, 96, 77, 59, 44, 47, 30, 16, 7, 37, 74,
];

/** Annual number of strikes in the USA, 1951-1980 (Brockwell & Davis, STRIKES.TSM). */
const STRIKES = [
  4737, 5117, 5091, 3468, 4320, 3825, 3673, 3694, 3708, 3333, 3367, 3614, 3362, 3655, 3963, 4405, 4595, 5045, 5700, 5716, 5138, 5010, 5353, 6074, 5031, 5648,
  5506, 4230, 4827, 3885,
];

/** Dow Jones utilities index, Aug 28 - Dec 18 1972, trading days (Brockwell & Davis, DOWJ.TSM): no season. */
const DOWJ = [
  110.94, 110.69, 110.43, 110.56, 110.75, 110.84, 110.46, 110.56, 110.46, 110.05, 109.6, 109.31, 109.31, 109.25, 109.02, 108.54, 108.77, 109.02, 109.44, 109.38,
  109.53, 109.89, 110.56, 110.56, 110.72, 111.23, 111.48, 111.58, 111.9, 112.19, 112.06, 111.96, 111.68, 111.36, 111.42, 112, 112.22, 112.7, 113.15, 114.36,
  114.65, 115.06, 115.86, 116.4, 116.44, 116.88, 118.07, 118.51, 119.28, 119.79, 119.7, 119.28, 119.66, 120.14, 120.97, 121.13, 121.55, 121.96, 122.26, 123.79,
  124.11, 124.14, 123.37, 123.02, 122.86, 123.02, 123.11, 123.05, 123.05, 122.83, 123.18, 122.67, 122.73, 122.86, 122.67, 122.09, 122, 121.23,
];

/** A public series dated from its first period (month and quarter starts, as R's `ts` labels them; years on January 1). */
const published = (name: string, group: FrequencyGroup['name'], frequency: Frequency, start: string, values: readonly number[]): CorpusSeries => ({
  name,
  group,
  source: 'public',
  values,
  dates: datesFrom(start, frequency, values.length),
});

const PUBLIC: readonly CorpusSeries[] = [
  published('AirPassengers', 'monthly', 'month', '1949-01-01', AIR_PASSENGERS),
  published('wine', 'monthly', 'month', '1980-01-01', WINE),
  published('USdeaths', 'monthly', 'month', '1973-01-01', US_DEATHS),
  published('nottem', 'monthly', 'month', '1920-01-01', NOTTEM),
  published('UKgas', 'quarterly', 'quarter', '1960-01-01', UK_GAS),
  published('lynx', 'annual', 'year', '1821-01-01', LYNX),
  published('Nile', 'annual', 'year', '1871-01-01', NILE),
  published('LakeHuron', 'annual', 'year', '1875-01-01', LAKE),
  published('sunspots', 'annual', 'year', '1770-01-01', SUNSPOTS),
  published('strikes', 'annual', 'year', '1951-01-01', STRIKES),
  // Trading days, not years: the corpus keeps it as a season-free series in the annual group (no
  // season, a short horizon), dated as years so that the pipeline reads it so.
  published('dowj', 'annual', 'year', '1901-01-01', DOWJ),
];

// ---- generated series ----

/** The shapes generated per frequency; each is drawn with random (seeded) settings. */
export const SHAPES = [
  'additive-season',
  'multiplicative-season',
  'damped-trend',
  'level-shift',
  'seasonal-random-walk',
  'cycle',
  'intermittent',
  'outliers',
  'random-walk',
] as const;
type Shape = (typeof SHAPES)[number];

function gaussian(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** A seasonal profile of length m with mean 0 and unit amplitude (a smooth curve plus a random part). */
function profile(m: number, u: () => number): number[] {
  if (m === 1) return [0];
  const phase = u() * 2 * Math.PI;
  const p = Array.from({ length: m }, (_, j) => Math.sin((2 * Math.PI * j) / m + phase) + 0.6 * (u() - 0.5) * 2);
  const mean = p.reduce((a, b) => a + b, 0) / m;
  const max = Math.max(...p.map((v) => Math.abs(v - mean)));
  return p.map((v) => (v - mean) / max);
}

function generate(shape: Shape, m: number, n: number, seed: number): number[] {
  const u = prng(seed);
  const g = gaussian(u);
  const s = profile(m, u);
  const level0 = 50 + u() * 950;
  const noise = 0.02 + u() * 0.08; // relative noise
  const amp = m === 1 ? 0 : 0.1 + u() * 0.3; // relative seasonal amplitude
  const y: number[] = [];
  switch (shape) {
    case 'additive-season': {
      const slope = ((u() - 0.3) * 0.01 * level0) / Math.max(1, m / 4);
      for (let t = 0; t < n; t++) y.push(level0 + slope * t + amp * level0 * s[t % m] + noise * level0 * g());
      break;
    }
    case 'multiplicative-season': {
      const growth = 1 + (u() * 0.02) / Math.max(1, m / 4);
      for (let t = 0; t < n; t++) y.push(level0 * growth ** t * (1 + amp * s[t % m]) * (1 + noise * g()));
      break;
    }
    case 'damped-trend': {
      // A trend that fades: the slope decays by phi each step, local level noise on top.
      let slope = ((u() - 0.3) * 0.04 * level0) / Math.max(1, m / 4);
      const phi = 0.9 + u() * 0.08;
      let level = level0;
      for (let t = 0; t < n; t++) {
        slope *= phi;
        level += slope + 0.3 * noise * level0 * g();
        y.push(level + amp * level0 * s[t % m] + noise * level0 * g());
      }
      break;
    }
    case 'level-shift': {
      const at = Math.floor(n * (0.4 + u() * 0.45));
      const shift = (u() < 0.5 ? -1 : 1) * (0.2 + u() * 0.4) * level0;
      for (let t = 0; t < n; t++) y.push(level0 + (t >= at ? shift : 0) + amp * level0 * s[t % m] + noise * level0 * g());
      break;
    }
    case 'seasonal-random-walk': {
      for (let t = 0; t < n; t++) y.push(t < m ? level0 * (1 + amp * s[t]) : y[t - m] + noise * level0 * g());
      break;
    }
    case 'cycle': {
      // An AR(2) cycle around a level (period 6-12 steps for annual, longer for the others).
      const cyc = m === 1 ? 6 + u() * 6 : 3 * m + u() * 4 * m;
      const r = 0.85 + u() * 0.1;
      const a1 = 2 * r * Math.cos((2 * Math.PI) / cyc);
      const a2 = -r * r;
      let c1 = 0;
      let c2 = 0;
      for (let t = 0; t < n + 50; t++) {
        const c = a1 * c1 + a2 * c2 + noise * level0 * g();
        c2 = c1;
        c1 = c;
        if (t >= 50) y.push(level0 + 2 * c + amp * level0 * s[(t - 50) % m]);
      }
      break;
    }
    case 'intermittent': {
      // Demand that is zero on most steps: Bernoulli occurrence, gamma-like sizes, a seasonal rate.
      const rate = 0.15 + u() * 0.4;
      const size = 1 + Math.floor(u() * 20);
      for (let t = 0; t < n; t++) {
        const p = Math.min(0.95, rate * (1 + amp * s[t % m]));
        y.push(u() < p ? Math.max(1, Math.round(size * (1 + 0.5 * g()))) : 0);
      }
      break;
    }
    case 'outliers': {
      const slope = ((u() - 0.5) * 0.005 * level0) / Math.max(1, m / 4);
      for (let t = 0; t < n; t++) {
        const spike = u() < 0.03 ? (u() < 0.5 ? -1 : 1) * (0.3 + u() * 0.5) * level0 : 0;
        y.push(level0 + slope * t + amp * level0 * s[t % m] + noise * level0 * g() + spike);
      }
      break;
    }
    case 'random-walk': {
      const drift = (u() - 0.5) * 0.01 * level0;
      let level = level0;
      for (let t = 0; t < n; t++) {
        level += drift + noise * level0 * g();
        y.push(level + 0.5 * amp * level0 * s[t % m]);
      }
      break;
    }
  }
  // Keep the series positive (as sales, counts and flows are) where the shape allows it.
  const min = Math.min(...y);
  if (shape !== 'intermittent' && min <= 0) return y.map((v) => v - min + 0.05 * level0);
  return y.map((v) => Math.round(v * 100) / 100);
}

/** Length range per group (the shortest leaves 3 rolling origins and two seasons of training). */
const LENGTH: { readonly [G in FrequencyGroup['name']]: [number, number] } = {
  monthly: [72, 180],
  quarterly: [40, 100],
  annual: [30, 70],
  weekly: [160, 400],
  daily: [180, 500],
};

/** The corpus: the public series and `perShape` generated series per shape and frequency. */
export function forecastCorpus(perShape = 4): CorpusSeries[] {
  const out: CorpusSeries[] = [...PUBLIC];
  let seed = 1000;
  for (const g of GROUPS) {
    const [lo, hi] = LENGTH[g.name];
    for (const shape of SHAPES) {
      for (let i = 0; i < perShape; i++) {
        seed++;
        const n = lo + Math.floor(prng(seed * 7919)() * (hi - lo));
        out.push({
          name: `${g.name}-${shape}-${i}`,
          group: g.name,
          source: shape,
          values: generate(shape, g.period, n, seed),
          dates: datesFrom(g.start, g.frequency, n),
        });
      }
    }
  }
  return out;
}
