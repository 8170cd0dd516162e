/**
 * QI Lab's JupyterLab plugin.
 *
 * Why: a learner opens a lesson and clicks Run → Run All Cells at once. JupyterLab has not yet
 * created the notebook's kernel session, so every cell it is asked to run sees "no kernel":
 * each starts a kernel of its own, the kernels replace one another, and `CodeCell.execute`
 * (@jupyterlab/cells) returns without running anything while the session has no kernel. Every
 * cell stays `[ ]` (or only some run) and nothing says why — seen in 8 of 34 first runs, and
 * every time when the click comes within a second or two of the page opening.
 *
 * The fix: every notebook "run" action waits until the notebook's session context is ready
 * (its kernel started or deliberately set to "No Kernel"), then runs exactly as JupyterLab
 * would. Waiting actions resume first-in, first-out, so two quick Shift+Enters still run two
 * cells in order.
 */
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { watchAssignmentList } from './assignment-list.js';
import { watchSliderNames } from './slider-names.js';

/** NotebookActions that run cells; each takes (notebook, sessionContext, ...). */
const RUN_ACTIONS = [
  'run',
  'runAndAdvance',
  'runAndInsert',
  'runAll',
  'runAllAbove',
  'runAllBelow',
  'runCells'
];

/** Longest wait for a kernel that is starting (a busy ward PC can take a while). */
const KERNEL_WAIT_MS = 180000;

function waitUntilReady(sessionContext) {
  if (!sessionContext || sessionContext.isReady || sessionContext.isDisposed) {
    return null;
  }
  const timeout = new Promise(resolve => setTimeout(resolve, KERNEL_WAIT_MS));
  return Promise.race([sessionContext.ready.catch(() => undefined), timeout]);
}

const runWhenReady = {
  id: '@qilab/lab-extension:run-when-kernel-ready',
  description: 'Cells run before the kernel is ready wait for it instead of being dropped.',
  autoStart: true,
  activate: () => {
    for (const name of RUN_ACTIONS) {
      const action = NotebookActions[name];
      if (typeof action !== 'function' || action.qilabWaitsForKernel) {
        continue;
      }
      const patched = function (notebook, sessionContext, ...rest) {
        const waiting = waitUntilReady(sessionContext);
        if (waiting === null) {
          return action.call(this, notebook, sessionContext, ...rest);
        }
        return waiting.then(() => action.call(this, notebook, sessionContext, ...rest));
      };
      patched.qilabWaitsForKernel = true;
      NotebookActions[name] = patched;
    }
  }
};

/**
 * Why: the course has four lessons called measurement.ipynb (one per level), and JupyterLab
 * labels a tab with the file name alone, so four tabs read "measurement.ipynb". A lesson's tab
 * shows its level before the name ("foundation/measurement.ipynb"); the tooltip keeps the
 * full path.
 *
 * The label itself must stay the file name: JupyterLab renames the file when a document's
 * title label changes. So the tab gets a class naming its level (the title's className goes on
 * the tab), and style/index.css writes the level before the name.
 */
const LEVEL_FOLDERS = ['foundation', 'practitioner', 'advanced', 'cases'];

function levelClass(path) {
  const parts = path.split('/');
  const folder = parts.length >= 2 ? parts[parts.length - 2] : '';
  return LEVEL_FOLDERS.includes(folder) ? `qilab-folder-${folder}` : '';
}

const tabLabels = {
  id: '@qilab/lab-extension:tab-labels-with-folder',
  description: 'Lesson tabs show their level, so same-named lessons can be told apart.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app, tracker) => {
    const label = panel => {
      const mark = () => {
        const others = panel.title.className
          .split(/\s+/)
          .filter(name => name && !name.startsWith('qilab-folder-'));
        const wanted = [...others, levelClass(panel.context.path)].filter(Boolean).join(' ');
        if (panel.title.className !== wanted) {
          panel.title.className = wanted;
        }
      };
      panel.context.pathChanged.connect(mark);
      mark();
    };
    tracker.forEach(label);
    tracker.widgetAdded.connect((_, panel) => label(panel));
  }
};

/**
 * Why: opening a lesson marked it changed ("Save changes?" on closing an untouched lesson, and
 * autosave rewriting the file) before the learner did anything. When a notebook's kernel
 * starts, JupyterLab writes the kernel's `language_info` (and `kernelspec`) into the
 * notebook's metadata, which marks it dirty; the lessons keep only `{"name": "python"}`, and
 * the Python version a kernel reports differs from machine to machine, so no committed value
 * can match every learner's kernel.
 *
 * The fix: after such a change, a notebook whose cells and other metadata are exactly as they
 * were loaded (or last saved) is marked clean again. Any real edit — a cell typed in, a cell
 * run — leaves it dirty as usual.
 */
const KERNEL_METADATA = ['language_info', 'kernelspec'];

function contentWithoutKernelMetadata(model) {
  const notebook = model.toJSON();
  const metadata = { ...notebook.metadata };
  for (const key of KERNEL_METADATA) {
    delete metadata[key];
  }
  return JSON.stringify({ cells: notebook.cells, metadata });
}

const openingIsNotEditing = {
  id: '@qilab/lab-extension:opening-is-not-editing',
  description: 'A notebook is not marked changed because its kernel started.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app, tracker) => {
    const watch = panel => {
      const context = panel.context;
      let asLoaded = null;
      const remember = () => {
        asLoaded = contentWithoutKernelMetadata(context.model);
      };
      context.ready.then(remember);
      context.saveState.connect((_, state) => {
        if (state === 'completed') {
          remember();
        }
      });
      context.model.metadataChanged.connect((model, change) => {
        if (asLoaded === null || !KERNEL_METADATA.includes(change.key)) {
          return;
        }
        setTimeout(() => {
          // after JupyterLab has marked the notebook dirty for this change
          if (
            !model.isDisposed &&
            model.dirty &&
            contentWithoutKernelMetadata(model) === asLoaded
          ) {
            model.dirty = false;
          }
        }, 0);
      });
    };
    tracker.forEach(watch);
    tracker.widgetAdded.connect((_, panel) => watch(panel));
  }
};

const sliderNames = {
  id: '@qilab/lab-extension:slider-names',
  description: "Slider handles are named by their slider's description, for screen readers.",
  autoStart: true,
  activate: () => watchSliderNames(document.body)
};

/** nbgrader's Assignment List, usable by keyboard and screen reader: see assignment-list.js. */
const assignmentList = {
  id: '@qilab/lab-extension:assignment-list-a11y',
  description: "nbgrader's Assignment List: named buttons, a keyboard-usable feedback link.",
  autoStart: true,
  activate: () => watchAssignmentList(document.body)
};

export default [runWhenReady, tabLabels, openingIsNotEditing, sliderNames, assignmentList];
