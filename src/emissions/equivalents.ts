// Everyday equivalents of an amount of CO2eq: CodeCarbon's carbonboard set (US EPA), in metric units.

/**
 * Constants, with their sources (as CodeCarbon's carbonboard uses them):
 * - a passenger car: 0.409 kg CO2e per mile (US EPA: 8.89e-3 t CO2 per gallon ÷ 22.0 mpg ÷ 0.988
 *   CO2/CO2e), i.e. 0.409 ÷ 1.609344 kg per km;
 * - a 32-inch LCD TV: 0.097 kg CO2e per hour watched;
 * - a US household: 8.35 t CO2e a year (US EPA: 5.734 electricity + 2.06 natural gas + 0.26 LPG
 *   + 0.30 fuel oil), 160.58 kg a week.
 */
export const equivalentConstants = {
  carKgPerKm: 0.409 / 1.609344,
  tvKgPerHour: 0.097,
  householdKgPerWeek: 160.58,
} as const;

/** What `kg` of CO2eq amounts to in everyday terms. */
export interface Equivalents {
  readonly carKm: number;
  readonly tvHours: number;
  /** Percent of a US household's weekly emissions. */
  readonly householdWeekPercent: number;
}

/** Everyday equivalents of `kg` CO2eq (never negative: a negative input is an error). */
export function equivalents(kg: number): Equivalents {
  if (!(kg >= 0) || !Number.isFinite(kg)) throw new RangeError(`equivalents: expected kg CO2eq >= 0, got ${kg}`);
  const c = equivalentConstants;
  return { carKm: kg / c.carKgPerKm, tvHours: kg / c.tvKgPerHour, householdWeekPercent: (kg / c.householdKgPerWeek) * 100 };
}

/**
 * The same from energy: the kg CO2eq of `kwh` where a kWh emits `gCo2ePerKwh` (an Intensity from
 * intensityFor(), or a number), then its equivalents. CodeCarbon's web dashboard instead turns energy
 * into TV time with a TV's consumption; one set of constants keeps the two views consistent here.
 */
export function equivalentsOfEnergy(kwh: number, intensity: number | { readonly gCo2ePerKwh: number }): Equivalents & { readonly kg: number } {
  if (!(kwh >= 0) || !Number.isFinite(kwh)) throw new RangeError(`equivalentsOfEnergy: expected kWh >= 0, got ${kwh}`);
  const g = typeof intensity === 'number' ? intensity : intensity.gCo2ePerKwh;
  if (!(g >= 0) || !Number.isFinite(g)) throw new RangeError(`equivalentsOfEnergy: expected g CO2eq/kWh >= 0, got ${g}`);
  const kg = (kwh * g) / 1000;
  return { kg, ...equivalents(kg) };
}
