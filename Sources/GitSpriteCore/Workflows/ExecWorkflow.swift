import Foundation
import SpriteGit
import SpritesAPI

/// Which sprite a command means: an explicit sprite or branch name, else the current branch's.
public enum SpriteResolver {
    /// Resolves `argument` (a branch of this repository, or a sprite name) to a sprite name.
    public static func resolve(_ argument: String?, _ context: Context, repository: Repository?,
                               settings: Settings) throws -> String {
        guard let repository else {
            guard let argument else {
                throw SpriteError("no sprite named", hints: ["name one: git sprite exec <sprite> -- <command>"],
                                  status: .usage)
            }
            return argument
        }
        let builder = PlanBuilder(context: context, repository: repository, settings: settings)
        if let argument {
            if try repository.resolve(reference: "refs/heads/" + argument) != nil {
                return try builder.spriteName(forBranch: argument)
            }
            return argument
        }
        if let name = settings.spriteName { return name }
        let head = try repository.head()
        guard let branch = head.branchName else {
            return SpriteName.forDetachedHead(head.commit?.hex ?? "", repository: builder.repositoryID())
        }
        return try builder.spriteName(forBranch: branch)
    }
}

/// `git sprite exec`: runs a command in the sprite's workspace; the remote exit status is ours.
public enum ExecWorkflow {
    public static func run(_ context: Context, sprite argument: String?, command: [String],
                           directory: String?) throws -> Int32 {
        let target = try SpriteTarget(context, sprite: argument)
        let (connection, name) = (target.connection, target.name)
        let stdinIsTerminal = isatty(STDIN_FILENO) == 1
        let request = ExecRequest(command: command, directory: directory ?? PlanBuilder.workspacePath,
                                  stdin: !stdinIsTerminal)
        let out = FileHandle.standardOutput, err = FileHandle.standardError
        do {
            return try connection.client.exec(name, request, input: stdinIsTerminal ? nil : FileHandle.standardInput,
                                              stdout: { out.write($0) }, stderr: { err.write($0) })
        } catch APIError.http(let f) where f.status == 404 {
            throw target.missing
        } catch APIError.http(let f) where f.status == 400 && f.message.contains("working directory") {
            throw SpriteError("sprite '\(name)' has no \(request.directory ?? "workspace") yet",
                              hints: ["ship the code first: git sprite up"])
        } catch {
            throw connection.translate(error)
        }
    }
}
