/// What the new-task menu asks for each task type. The registry checks the values; this table
/// only says which fields to offer and how to label them.
enum TaskForms {
    /// The form for `type`; types without an entry get one field for the raw submission JSON.
    /// `defaults` fills empty fields by name (the remembered project path); a form that picks
    /// from the project file reads it at once when it has the path.
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
        case "build_device_image_task", "run_nixos_vm_task":
            // As `submit build-image/run-vm --configuration`: the project, then one of the
            // configurations its project file names (typed when it names none).
            fields = [FormField(name: "project_path", label: "Project path", hint: "directory with flake.nix (and thymis-project.json)")]
        case "deploy_devices_task", "deploy_device_task", "rollback_device_task", "plan_device_task":
            // As `submit deploy`: the project, then its devices ticked from its project file.
            fields = [FormField(name: "project_path", label: "Project path", hint: "git repository with flake.nix and thymis-project.json")]
        default:
            fields = [FormField(name: "submission", label: "Submission JSON", kind: .json,
                                value: "{\"type\": \"\(type)\"}", hint: "see docs/submissions.md")]
        }
        for index in fields.indices {
            if let value = defaults[fields[index].name], fields[index].value.isEmpty { fields[index].value = value }
        }
        // After the devices they name: how the switch and the rollout go (empty: the project file's, else the defaults).
        var trailing: [FormField] = []
        if type == "deploy_devices_task" {
            trailing = [
                // Plan first by default (issue 27): see what each device would change, then D on the plan deploys it.
                FormField(name: "plan", label: "Plan first", kind: .yesNo, isRequired: false, value: "yes",
                          hint: "yes: build, copy, compare; no switch (y/n/Space)"),
                FormField(name: "canary", label: "Canary devices", kind: .list, isRequired: false, hint: "ids deployed first, e.g. kiosk-1"),
                FormField(name: "wave_size", label: "Wave size", isRequired: false, hint: "then devices per wave: 5 or 25% (default: all)"),
                FormField(name: "max_failures", label: "Max failures", kind: .integer, isRequired: false, hint: "before the rest is not started (0)"),
            ]
        }
        if type == "rollback_device_task" {
            trailing.append(FormField(name: "to_generation", label: "To generation", kind: .integer, isRequired: false,
                                      hint: "number (default: the one before the current)"))
        }
        if type == "deploy_devices_task" || type == "deploy_device_task" || type == "rollback_device_task" {
            trailing.append(FormField(name: "confirm_timeout", label: "Confirm timeout", kind: .integer, isRequired: false,
                                      hint: "seconds to confirm, else it rolls back (60)"))
        }
        var form = NewTaskForm(type: type, title: typeName, fields: fields + trailing)
        form.trailingFieldCount = trailing.count
        switch type {
        case "deploy_devices_task": form.pick = .devices
        case "deploy_device_task", "rollback_device_task", "plan_device_task": form.pick = .device
        case "build_device_image_task": form.pick = .configuration(field: "device_identifier")
        case "run_nixos_vm_task": form.pick = .configuration(field: "configuration_id")
        default: break
        }
        form.readProjectFileIfNeeded()
        return form
    }
}

extension NewTaskForm {
    /// Forms that pick from the project file: reads it when the project path changed since the
    /// last read (ticks and the cursor's entry are kept where still in the file). A
    /// configuration list that comes out empty adds a field to type the name into instead.
    mutating func readProjectFileIfNeeded() {
        guard let pick, let path = value(of: "project_path"), !path.isEmpty, checklist?.projectPath != path else { return }
        var fresh = ProjectChecklist.read(projectPath: path, listing: pick.listing, single: pick != .devices)
        if let old = checklist { fresh.keep(from: old) }
        checklist = fresh
        guard case .configuration(let name) = pick else { return }
        let typed = fields.firstIndex { $0.name == name }
        if fresh.entries.isEmpty, typed == nil {
            fields.append(FormField(name: name, label: "Configuration", hint: "nixosConfigurations name"))
        } else if !fresh.entries.isEmpty, let typed {
            fields.remove(at: typed)
            focusedField = min(focusedField, focusStops - 1)
        }
    }
}
