import ArborCore

extension ArborError {
    /// Codes that, raised while reading a file's content, mean the file cannot be read as what it
    /// should be: damaged, cut short, of another kind, or of a version this build does not know.
    static let unreadableContent: Set<Code> = [.malformedInput, .unsupportedVersion, .truncated]

    /// This error as one about the file `path`, which the caller calls `label` (the option and path
    /// that named it, e.g. `--anchor bad/root.cert`): the message starts with the label, and a
    /// content that does not parse (``unreadableContent``) is a corrupt file, whatever the parser
    /// called it. A parser cannot tell a file from a string typed on the command line; the caller
    /// that read the file can.
    ///
    /// A mention of `'path'` already in the message becomes "the file", so the path is named once.
    public func concerning(file path: String, label: String) -> ArborError {
        let code = Self.unreadableContent.contains(code) ? .corruptFile : code
        let text = message.replacing("'\(path)'", with: "the file")
        return ArborError(code, "\(label): \(text)", file: file, line: line)
    }
}
