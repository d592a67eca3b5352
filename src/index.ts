// Public exports, by name.
export { CodeCarbonError, ConfigError, SamplerError, SourcePermissionError, SourceUnavailableError } from './errors.js';
export { Sampler, SamplerErrorEvent, SamplerWarningEvent, type SamplerInfo } from './sampler/sampler.js';
export type { Anchor, IntervalEnergy, Resolution, Timeline } from './sampler/timeline.js';
export { resolveEngineOptions, type EngineOptions } from './sampler/options.js';
export { planHardware as detectHardware, type HardwarePlan } from './sources/detect.js';
export type { ChannelInfo, Component, SourceName } from './sources/source.js';
export { intensityFor, type Intensity, type IntensityQuery, type IntensitySource } from './emissions/intensity.js';
export { EmissionsTracker, type ResolvedOptions } from './tracker.js';
export { OfflineEmissionsTracker } from './offline.js';
export { MeasurementEvent, TrackerWarningEvent } from './events.js';
export type { TrackerOptions } from './types.js';
export { columns, upstreamColumns, taskColumns, type EmissionsRecord } from './output/record.js';
export { OutputError } from './output/csv.js';
export { trackEmissions, type TrackEmissionsOptions } from './decorator.js';
export { equivalents, equivalentsOfEnergy, equivalentConstants, type Equivalents } from './emissions/equivalents.js';
export { detectCloud, type CloudLocation } from './emissions/cloud.js';
