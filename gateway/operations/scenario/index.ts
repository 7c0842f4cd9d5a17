export { Scenario, ScenarioDevice, ScenarioStep, ScenarioExpectation } from './schema.ts';
export { runScenario, type ScenarioOptions, type ScenarioResult } from './run.ts';
export { check, type ExpectationResult } from './expect.ts';
export { loadScenario } from './load.ts';
