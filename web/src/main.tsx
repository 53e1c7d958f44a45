import { render } from "solid-js/web";
import { App } from "./app.tsx";
import { applyTheme } from "./ui/theme.ts";
import "./ui/styles.css";

applyTheme();
const root = document.getElementById("root");
if (root) render(() => <App />, root);
