import { Body, Controller, Injectable, Module, Post } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { IsEmail, IsIn } from 'class-validator';
import {
  EmitLoopsEvent,
  LoopsEventsService,
  LoopsModule,
  LoopsTransactionalService,
  SendEventDto,
  SendTransactionalDto,
} from 'nestjs-loops';

export class SignUpDto {
  @IsEmail()
  email!: string;

  @IsIn(['free', 'pro'])
  plan!: string;
}

export interface User {
  id: string;
  email: string;
  plan: string;
}

@Injectable()
export class UsersService {
  // Constructor injection without @Inject(): needs the decorator metadata of the app's compiler.
  constructor(readonly loops: LoopsEventsService) {}

  create(input: SignUpDto): User {
    return { id: 'u_1', email: input.email, plan: input.plan };
  }
}

@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @EmitLoopsEvent<User>({ eventName: 'userSignedUp', eventProperties: ({ result }) => ({ plan: result.plan }) })
  signUp(@Body() body: SignUpDto): User {
    return this.users.create(body);
  }
}

/** A body typed with the package's DTO: its rules reach ValidationPipe only if the app has one class-validator. */
@Controller('events')
export class EventsController {
  constructor(private readonly loops: LoopsEventsService) {}

  @Post()
  enqueue(@Body() event: SendEventDto): { idempotencyKey: string } {
    return { idempotencyKey: this.loops.enqueueEvent(event) };
  }
}

/** The same for a transactional email, sent through the same engine. */
@Controller('emails')
export class EmailsController {
  constructor(private readonly transactional: LoopsTransactionalService) {}

  @Post()
  enqueue(@Body() email: SendTransactionalDto): { idempotencyKey: string } {
    return { idempotencyKey: this.transactional.enqueue(email) };
  }
}

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    LoopsModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        apiKey: config.getOrThrow<string>('LOOPS_API_KEY'),
        baseUrl: config.getOrThrow<string>('LOOPS_BASE_URL'),
      }),
    }),
  ],
  controllers: [UsersController, EventsController, EmailsController],
  providers: [UsersService],
})
export class AppModule {}
