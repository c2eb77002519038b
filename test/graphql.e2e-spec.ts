/** @EmitLoopsEvent() on the resolvers of a real @nestjs/graphql app (Apollo, code first), through HTTP. */
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { INestApplication, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { Args, Field, GraphQLModule, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { EMPTY, Observable } from 'rxjs';
import request from 'supertest';
import { EmitLoopsEvent, type LoopsDeliveryOutcome } from '../lib';
import { LoopsCompatibleServer } from './support/loops-server';
import { createLoopsTestingApp, type LoopsTestingApp } from './support/loops-testing-app';

@ObjectType()
class Comment {
  @Field() id!: string;
  @Field() postId!: string;
}

@Resolver(() => Comment)
class CommentsResolver {
  @Query(() => String)
  ping(): string {
    return 'pong';
  }

  @Mutation(() => Comment)
  @EmitLoopsEvent<Comment>({
    eventName: 'commentPosted',
    eventProperties: ({ data, result }) => ({ postId: (data as { postId: string }).postId, commentId: result.id }),
  })
  postComment(@Args('postId') postId: string): Comment {
    return { id: `c-${postId}`, postId };
  }

  @Mutation(() => Comment)
  @EmitLoopsEvent({ eventName: 'commentDeleted', mode: 'await' })
  deleteComment(@Args('id') id: string): Comment {
    if (id === 'missing') throw new Error('No such comment');
    return { id, postId: 'p1' };
  }

  // Nest turns an Observable that completes without a value into the field's error.
  @Mutation(() => Comment)
  @EmitLoopsEvent('commentArchived')
  archiveComment(): Observable<Comment> {
    return EMPTY;
  }
}

/** Stands in for the app's authentication: whatever sets request.user. */
@Module({})
class AuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((req: { user?: unknown }, _res: unknown, next: () => void) => {
        req.user = { email: 'gql@example.com', id: 'u-7' };
        next();
      })
      .forRoutes('graphql');
  }
}

let server: LoopsCompatibleServer;
let testing: LoopsTestingApp;
let app: INestApplication;
const outcomes: LoopsDeliveryOutcome[] = [];

beforeAll(async () => {
  server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
  testing = await createLoopsTestingApp(
    server,
    { retry: false },
    {
      imports: [
        AuthModule,
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          // Where Nest's GraphQL integration keeps the HTTP request: the interceptor reads `context.req`.
          context: ({ req }: { req: unknown }) => ({ req }),
        }),
      ],
      providers: [CommentsResolver],
    },
  );
  app = testing.app;
  testing.loops.deliveries$.subscribe((outcome) => outcomes.push(outcome));
});
afterEach(() => {
  server.reset();
  outcomes.length = 0;
});
afterAll(async () => {
  await app.close();
  await server.close();
});

const graphql = (query: string) => request(app.getHttpServer()).post('/graphql').send({ query });

it('a mutation sends its event, with the contact from request.user and the data from the field arguments', async () => {
  const response = await graphql('mutation { postComment(postId: "p9") { id } }').expect(200);
  expect(response.body).toEqual({ data: { postComment: { id: 'c-p9' } } });
  await testing.loops.flush();
  expect(server.accepted.map((accepted) => accepted.body)).toEqual([
    {
      eventName: 'commentPosted',
      email: 'gql@example.com',
      userId: 'u-7',
      eventProperties: { postId: 'p9', commentId: 'c-p9' },
    },
  ]);
});

it('an undecorated query sends nothing', async () => {
  await graphql('{ ping }').expect(200);
  await testing.loops.flush();
  expect(server.requests).toHaveLength(0);
});

it('a resolver that throws sends nothing, and the GraphQL error is its own', async () => {
  const response = await graphql('mutation { deleteComment(id: "missing") { id } }').expect(200);
  expect(response.body.errors).toEqual([expect.objectContaining({ message: 'No such comment' })]);
  await testing.loops.flush();
  expect(server.requests).toHaveLength(0);
  expect(outcomes).toEqual([]);
});

it('a resolver whose Observable completes without a value fails its field and sends nothing', async () => {
  const response = await graphql('mutation { archiveComment { id } }').expect(200);
  expect(response.body.errors).toEqual([expect.objectContaining({ message: 'no elements in sequence' })]);
  await testing.loops.flush();
  expect(server.requests).toHaveLength(0);
  expect(outcomes).toEqual([]);
});

it('in await mode, a Loops failure becomes the field error and the event is reported nowhere else', async () => {
  server.script({ kind: 'status', status: 503, body: { success: false, message: 'Down' } });
  const response = await graphql('mutation { deleteComment(id: "c1") { id } }').expect(200);
  expect(response.body.errors).toEqual([expect.objectContaining({ message: 'Loops answered 503: Down' })]);
  expect(server.eventRequests().map((req) => req.status)).toEqual([503]);
});
