/// What the new-task menu asks for each task type. The registry checks the values; this table
/// only says which fields to offer and how to label them.
enum TaskForms {
    /// The form for `type`; types without an entry get one field for the raw submission JSON.
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
            // A list of devices does not fit one-line fields: a template to fill in (docs/submissions.md).
            let template = type == "deploy_devices_task"
                ? #"{"type": "deploy_devices_task", "project_path": "", "devices": [{"identifier": "", "host": "", "port": 22, "username": "root"}], "ssh_key_path": "", "known_hosts_path": ""}"#
                : #"{"type": "deploy_device_task", "project_path": "", "device": {"identifier": "", "host": "", "port": 22, "username": "root"}, "ssh_key_path": "", "known_hosts_path": ""}"#
            fields = [FormField(name: "submission", label: "Submission JSON", kind: .json, value: template, hint: "see docs/submissions.md")]
        default:
            fields = [FormField(name: "submission", label: "Submission JSON", kind: .json,
                                value: "{\"type\": \"\(type)\"}", hint: "see docs/submissions.md")]
        }
        for index in fields.indices {
            if let value = defaults[fields[index].name], fields[index].value.isEmpty { fields[index].value = value }
        }
        return NewTaskForm(type: type, title: typeName, fields: fields)
    }
}
