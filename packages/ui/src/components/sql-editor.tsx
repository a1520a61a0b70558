import { basicSetup, EditorView } from 'codemirror';
import { Compartment, Prec } from '@codemirror/state';
import { keymap } from '@codemirror/view';
import { PostgreSQL, sql, type SQLNamespace } from '@codemirror/lang-sql';
import { useEffect, useRef } from 'preact/hooks';

/** Tables by zone, each with its columns: what the editor completes. */
export type SqlSchema = Record<string, Record<string, readonly string[]>>;

/**
 * The SQL editor: CodeMirror with SQL highlighting, completion of the
 * tables and columns in `schema`, and Ctrl/Cmd-Enter to run. It owns its
 * text (reported by `onChange`); a new `load.version` replaces it.
 */
export function SqlEditor(props: { load: { readonly text: string; readonly version: number }; onChange: (sql: string) => void; onRun: () => void; schema: SqlSchema }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  const language = useRef(new Compartment());
  const latest = useRef(props);
  latest.current = props;
  useEffect(() => {
    const run = () => {
      latest.current.onRun();
      return true;
    };
    view.current = new EditorView({
      parent: host.current!,
      doc: props.load.text,
      extensions: [
        Prec.highest(keymap.of([{ key: 'Mod-Enter', run }])),
        basicSetup,
        language.current.of(sql({ dialect: PostgreSQL, schema: props.schema as SQLNamespace, upperCaseKeywords: true })),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) latest.current.onChange(u.state.doc.toString());
        }),
        EditorView.contentAttributes.of({ 'aria-label': 'SQL' }),
      ],
    });
    return () => view.current?.destroy();
  }, []);
  useEffect(() => {
    view.current?.dispatch({ effects: language.current.reconfigure(sql({ dialect: PostgreSQL, schema: props.schema as SQLNamespace, upperCaseKeywords: true })) });
  }, [props.schema]);
  // Only a new load replaces the text: echoing every keystroke back would race the typing.
  useEffect(() => {
    const v = view.current;
    if (v && props.load.version > 0 && v.state.doc.toString() !== props.load.text) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.load.text } });
  }, [props.load.version]);
  return <div ref={host} class="editor" data-testid="sql-editor" />;
}
