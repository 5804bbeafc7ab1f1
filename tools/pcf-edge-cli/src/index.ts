export { MAIN_HELP, runCli } from './main';
