import { render } from 'preact';
import { App } from './App';
import './styles/base.css';
import './styles/components.css';
import './styles/pages.css';

render(<App />, document.getElementById('app')!);
