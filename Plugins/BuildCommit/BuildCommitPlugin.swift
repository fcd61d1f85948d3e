import Foundation
import PackagePlugin

/// Writes `BuildCommit.swift` into the target before every build: the git commit the sources were built
/// from (12 hex digits, `-modified` when tracked files differ from it), or `unknown` outside a git
/// checkout. The file is replaced only when its text changes, so an unchanged commit recompiles nothing.
@main
struct BuildCommitPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let outputs = context.pluginWorkDirectoryURL.appending(path: "Generated")
        let script = """
            set -e
            mkdir -p "$(dirname "$2")"
            commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
            if [ "$commit" != unknown ] && [ -n "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
                commit="$commit-modified"
            fi
            next="$2.next"
            printf '/// The commit these sources were built from (generated at build time).\\nenum BuildCommit {\\n    static let commit = "%s"\\n}\\n' "$commit" > "$next"
            if cmp -s "$next" "$2"; then rm -f "$next"; else mv "$next" "$2"; fi
            """
        return [
            .prebuildCommand(
                displayName: "Record the build's commit",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", context.package.directoryURL.path, outputs.appending(path: "BuildCommit.swift").path],
                outputFilesDirectory: outputs
            )
        ]
    }
}
