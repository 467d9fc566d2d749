export function attachPreview(editor: HTMLElement, preview: HTMLElement): void {
  editor.addEventListener("paste", (event: ClipboardEvent) => {
    const pasted = event.clipboardData?.getData("text/html") ?? "";
    $(preview).html(pasted);
  });
}
