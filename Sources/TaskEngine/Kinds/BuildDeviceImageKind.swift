import Foundation

/// Build Image for Device: builds the configuration's image attribute and copies (never links) the
/// image into the project's image directory, so it survives garbage collection and can be handed out.
public struct BuildDeviceImageKind: TaskKind {
    public static let type = "build_device_image_task"
    public static let typeName = "Build Image for Device"
    public static var secretFields: Set<String> { ProjectContext.secretFields }

    /// The `nixosConfigurations` name (Thymis' device identifier is its configuration's name).
    let configuration: String
    let commit: String?
    let imageAttribute: String
    let imageDirectory: String
    let context: ProjectContext

    public init(fields: SubmissionFields) throws(SubmissionError) {
        try fields.requireOnly(["project_path", "device_identifier", "device_state", "commit", "image_attribute", "image_directory"]
                               + ProjectContext.fields)
        let projectPath = try ProjectPath.validate(fields)
        context = try ProjectContext(fields, projectPath: projectPath)
        configuration = try fields.string("device_identifier", maxBytes: 255)
        // Thymis' module state of the device; accepted for compatibility, the flake already holds it.
        if let state = fields.object["device_state"], state != .null {
            guard case .object = state else {
                throw .wrongType(type: fields.context, field: "device_state", expected: "an object", got: state.kindDescription)
            }
        }
        commit = try GitRevision.optional(fields)
        imageAttribute = try ProjectFileReader.attribute(fields, "image_attribute")
            ?? context.projectFile?.imageAttribute(forConfiguration: configuration) ?? ProjectFile.defaultImageAttribute
        imageDirectory = try fields.optionalPath("image_directory") ?? context.projectFile?.imageDirectory ?? projectPath + "/images"
    }

    public var displayName: String { "Build Image for \(configuration)" }
    public var target: String? { configuration }
    public var pool: Pool? { .nix }

    public func run(_ run: TaskRun) async throws {
        run.setProgress("building \(imageAttribute)")
        let output = try await context.buildOne(
            context.installable(configuration: configuration, attribute: imageAttribute, commit: commit), in: run)
        guard let source = Self.imageFile(in: output) else {
            throw TaskFailure("build produced \(output), which holds no image file")
        }
        do {
            try FileManager.default.createDirectory(atPath: imageDirectory, withIntermediateDirectories: true)
        } catch {
            throw TaskFailure("copy image failed: cannot create the image directory \(imageDirectory): \(error.localizedDescription)")
        }
        let destination = imageDirectory + "/" + Self.imageName(configuration: configuration, source: source)
        let partial = destination + ".part"
        run.setProgress("copying \(URL(fileURLWithPath: source).lastPathComponent) to \(imageDirectory)")
        let copy = try await run.run(ProcessSpec(
            program: "cp", arguments: ["--no-preserve=mode,ownership,timestamps", "--sparse=auto", "--", source, partial],
            environment: run.baseEnvironment, stepName: "copy image"))
        guard copy.succeeded else {
            try? FileManager.default.removeItem(atPath: partial)
            throw TaskFailure("copy image failed: cp \(copy.endDescription) (see stderr)")
        }
        do {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: partial)
            if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
            try FileManager.default.moveItem(atPath: partial, toPath: destination)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw TaskFailure("copy image failed: cannot move the image to \(destination): \(error.localizedDescription)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? Int) ?? 0
        run.setProgress("image \(destination) (\(Self.sizeText(size)))")
    }

    /// The image in a build output: the output itself when it is a file, else its largest file
    /// (images sit in e.g. `sd-image/` or `iso/` next to `nix-support/`).
    static func imageFile(in output: String) -> String? {
        let resolved = URL(fileURLWithPath: output).resolvingSymlinksInPath().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) else { return nil }
        if !isDirectory.boolValue { return resolved }
        var best: (path: String, size: Int)?
        let enumerator = FileManager.default.enumerator(atPath: resolved)
        while let relative = enumerator?.nextObject() as? String {
            if relative.hasPrefix("nix-support") { continue }
            let path = URL(fileURLWithPath: resolved + "/" + relative).resolvingSymlinksInPath().path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let size = attributes[.size] as? Int ?? 0
            if best == nil || size > best!.size { best = (path, size) }
        }
        return best?.path
    }

    /// `<configuration>.<extension>`, keeping a compression suffix (`kiosk.img.zst`).
    static func imageName(configuration: String, source: String) -> String {
        let name = URL(fileURLWithPath: source).lastPathComponent
        var parts = name.split(separator: ".").map(String.init)
        guard parts.count > 1 else { return configuration + ".img" }
        var suffix = [parts.removeLast()]
        if ["zst", "gz", "xz", "bz2", "lz4"].contains(suffix[0]), parts.count > 1 { suffix.insert(parts.removeLast(), at: 0) }
        let safe = configuration.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" }
        return String(safe) + "." + suffix.joined(separator: ".")
    }

    static func sizeText(_ bytes: Int) -> String { ByteCountText.format(Int64(bytes), binary: true) }
}
