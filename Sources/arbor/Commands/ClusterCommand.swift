import ArgumentParser

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Work with the cluster through etcd: its verified members, keyring grants, messages between nodes.",
        discussion: """
            Every record read from etcd is verified against the cluster's root before it counts (docs/cluster.md). \
            A node sends data to another node sealed to it and signed by itself; the message waits in etcd until \
            the recipient receives it ("Messages between nodes").
            """,
        subcommands: [
            ClusterMembersCommand.self, ClusterGrantCommand.self, ClusterRevokeCommand.self, ClusterRekeyCommand.self,
            ClusterReissueCommand.self, ClusterSendCommand.self,
            ClusterReceiveCommand.self,
        ]
    )
}
