/// What the new-task menu asks for each task type. The registry checks the values; this table
/// only says which fields to offer and how to label them.
enum TaskForms {
    /// The form for `type`; types without an entry get one field for the raw submission JSON.
    /// `defaults` fills empty fields by name (the remembered project path); a deploy form with a
    /// project path reads its devices at once.
    static func form(for type: String, typeName: String, defaults: [String: String] = [:]) -> NewTaskForm {
        var fields: [FormField]
        switch type {
        case "build_project_task", "project_flake_update_task":
            fields = [FormField(name: "project_path", label: "Project path", hint: "directory with flake.nix")]
        case "auto_update_task":
            // Devices, key and author come from the project file; `no_deploy` and a device list need the JSON form.
            fields = [FormField(name: "project_path", label: "Project path", hint: "git repository with flake.nix and a project file")]
        case "ssh_command_task":
            fields = [
                FormField(name: "target_host", label: "Host", hint: "name or address"),
                FormField(name: "command", label: "Command", hint: "run by the remote shell"),
                FormField(name: "target_user", label: "User", isRequired: false, hint: "root"),
                FormField(name: "target_port", label: "Port", kind: .integer, isRequired: false, hint: "22"),
                FormField(name: "ssh_key_path", label: "Key file", hint: "private key path"),
                FormField(name: "ssh_known_hosts_path", label: "Known hosts file", hint: "path"),
            ]
        case "build_device_image_task":
            fields = [
                FormField(name: "project_path", label: "Project path", hint: "directory with flake.nix"),
                FormField(name: "device_identifier", label: "Configuration", hint: "nixosConfigurations name"),
            ]
        case "run_nixos_vm_task":
            fields = [
                FormField(name: "project_path", label: "Project path", hint: "directory with flake.nix"),
                FormField(name: "configuration_id", label: "Configuration", hint: "nixosConfigurations name"),
            ]
        case "deploy_devices_task", "deploy_device_task":
            // As `submit deploy`: the project, then its devices ticked from its project file.
            fields = [FormField(name: "project_path", label: "Project path", hint: "git repository with flake.nix and thymis-project.json")]
        default:
            fields = [FormField(name: "submission", label: "Submission JSON", kind: .json,
                                value: "{\"type\": \"\(type)\"}", hint: "see docs/submissions.md")]
        }
        for index in fields.indices {
            if let value = defaults[fields[index].name], fields[index].value.isEmpty { fields[index].value = value }
        }
        var form = NewTaskForm(type: type, title: typeName, fields: fields)
        switch type {
        case "deploy_devices_task": form.devicePick = .many
        case "deploy_device_task": form.devicePick = .one
        default: break
        }
        form.readDevicesIfNeeded()
        return form
    }
}

extension NewTaskForm {
    /// Deploy forms: reads the project file's devices when the project path changed since the
    /// last read (ticks are kept for devices still in the file).
    mutating func readDevicesIfNeeded() {
        guard let devicePick, let path = value(of: "project_path"), !path.isEmpty, checklist?.projectPath != path else { return }
        var fresh = DeviceChecklist.read(projectPath: path, single: devicePick == .one)
        if let old = checklist { fresh.ticked = old.ticked.intersection(fresh.devices.map(\.identifier)) }
        checklist = fresh
    }
}
