import Hummingbird

/// One feature's routes. `NodeApplication` registers each feature on the `/v1` group, either
/// open (health) or behind `TokenAuthenticator`; the keyring API and the Transit surface plug in
/// here as `KeyringRoutes` and `TransitRoutes`. A handler decodes, authorizes, calls one service
/// and encodes: it holds no domain rule.
public protocol NodeRoutes: Sendable {
    func register(on group: RouterGroup<NodeRequestContext>)
}
