/**
 * The example apps, synthesized into dist/ by `npm run synth`.
 */
import { App } from 'cdk8s';

const app = new App();
app.synth();
