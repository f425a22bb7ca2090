export { runSimulatorCli, SIMULATOR_USAGE } from './cli.ts';
export { startDemo } from './demo.ts';
export { deviceId, HOME_KIT } from './home-kit.ts';
export {
  localProvisioner,
  type ProvisionedDevice,
  type Provisioner,
  restProvisioner,
} from './provisioner.ts';
export { seededRandom } from './random.ts';
export { playScenario } from './run.ts';
export { routineDay, SCENARIO_NAMES, type Scenario, type ScenarioName, scenario } from './scenarios.ts';
export { SimulatedDevice, SimulatedHome, type SimulatedHomeOptions } from './simulated-home.ts';
