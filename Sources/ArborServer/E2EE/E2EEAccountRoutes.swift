import ArborE2EE
import ArborOperations
import Hummingbird

/// Accounts, sign-in and devices of the end-to-end encrypted applications (docs/e2ee.md §16):
///
/// - `POST /v1/e2ee/accounts`: sign-up.
/// - `POST /v1/e2ee/sessions/challenge`, `POST /v1/e2ee/sessions`: sign-in; `DELETE
///   /v1/e2ee/sessions/current`: sign-out.
/// - `GET /v1/e2ee/account`, `PUT /v1/e2ee/account/password`: the caller's record.
/// - `GET /v1/e2ee/devices`, `DELETE /v1/e2ee/devices/{device}`.
/// - `GET /v1/e2ee/accounts/{account}`, `GET /v1/e2ee/accounts?name=`: another account's identity.
struct E2EEAccountRoutes: NodeRoutes {
    let gate: E2EEGate

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.post("accounts") { request, context -> Response in
            let body = try await gate.body(AccountRecordBody.self, request)
            let name = try AccountName(body.name)
            let record = try body.record()
            try await E2EEAccounts(store: try gate.requireStore()).signUp(name: name, record: record, now: gate.clock.now())
            return try created(AccountProfileBody(StoredAccount(name: name.text, record: record, createdAt: 0)), request, context)
        }
        group.post("sessions/challenge") { request, _ in
            let name = try AccountName(try await gate.body(NameBody.self, request).name)
            let signIn = E2EESignIn(store: try gate.requireStore(), challenges: gate.challenges)
            return SignInChallengeBody(try await signIn.challenge(for: name, now: gate.clock.now()))
        }
        group.post("sessions") { request, context -> Response in
            let body = try await gate.body(SignInBody.self, request)
            let account = try AccountID(hex: body.account)
            let signIn = E2EESignIn(store: try gate.requireStore(), challenges: gate.challenges)
            try gate.rateLimits.reserveSignIn(account: account.hex, client: context.clientAddress)
            let issued = try await signIn.signIn(
                account: account, challenge: body.challenge.bytes, signature: body.signature.bytes, deviceName: body.device,
                now: gate.clock.now())
            gate.rateLimits.signInSucceeded(account: account.hex, client: context.clientAddress)
            return try created(SessionBody(issued), request, context)
        }
        group.delete("sessions/current") { request, context -> Response in
            let caller = try await gate.caller(request, context)
            try await E2EESessions(store: try gate.requireStore()).signOut(caller.device, of: caller.account)
            return Response(status: .noContent)
        }
        group.get("account") { request, context in
            let caller = try await gate.caller(request, context)
            return AccountRecordBody(try await E2EEAccounts(store: try gate.requireStore()).account(caller.account))
        }
        group.put("account/password") { request, context -> Response in
            let caller = try await gate.caller(request, context)
            let change = try await gate.body(PasswordBody.self, request).change()
            try await E2EEAccounts(store: try gate.requireStore()).changePassword(of: caller.account, to: change)
            return Response(status: .noContent)
        }
        group.get("devices") { request, context in
            let caller = try await gate.caller(request, context)
            let sessions = try await E2EESessions(store: try gate.requireStore()).devices(of: caller.account, now: gate.clock.now())
            return DevicesBody(sessions, current: caller.device)
        }
        group.delete("devices/:device") { request, context -> Response in
            let caller = try await gate.caller(request, context)
            let device = try context.parameter("device", DeviceID.init(hex:))
            try await E2EESessions(store: try gate.requireStore()).signOut(device, of: caller.account)
            return Response(status: .noContent)
        }
        group.get("accounts/:account") { request, context in
            _ = try await gate.caller(request, context)
            let account = try context.parameter("account", AccountID.init(hex:))
            return AccountProfileBody(try await E2EEAccounts(store: try gate.requireStore()).account(account))
        }
        group.get("accounts") { request, context in
            _ = try await gate.caller(request, context)
            guard let name = request.uri.queryParameters.get("name") else {
                throw NodeError(.badRequest, "name the account to look up: ?name=")
            }
            return AccountProfileBody(try await E2EEAccounts(store: try gate.requireStore()).account(named: try AccountName(name)))
        }
    }
}
